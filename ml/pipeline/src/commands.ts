import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoPath } from '@petal/stack';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerModelRegistry } from '@petal/registry';
import { compilePipeline } from './compile/compile.js';
import { checkCompiledDefinition } from './compile/structure.js';
import type { PipelineDefinition } from './definition.js';
import { describePipeline } from './describe.js';
import { COMPILE_SETTINGS } from './expressions.js';
import { MODEL_PACKAGE_GROUP, flowerPipeline } from './flower-pipeline.js';
import { ParameterError, parseParameterAssignments, resolveParameters, type StartContext } from './parameters.js';
import { startPipelineExecution, upsertPipeline } from './remote/sagemaker-pipeline.js';
import { SETTING_SOURCES, SettingsError, readSettings } from './settings.js';
import { deployedModel, type DeployedLookup } from './start-context.js';
import { ExecutionOutcomeError, listLocal, retryLocal, runLocal, showLocal, type LocalIo } from './local/local-commands.js';

export const USAGE = `usage: npm run pipeline -- <command> [options]

  run [--param name=value …]  run the pipeline here: jobs as child processes, records and artifacts in the
                              store (PETAL_STORE, default .petal/store) under executions/<id>/
  list [--json]               the recorded local executions, newest first
  show <id> [--json]          one execution: the step graph with status and timings
  retry <id>                  resume a failed or interrupted execution, reusing its finished steps
  compile --out <file>        write the SageMaker Pipelines definition JSON (schema 2020-12-01)
  describe                    print the parameters (with defaults) and the step graph
  upsert                      CreatePipeline, or UpdatePipeline when it exists (definitions over 1 MiB go through S3)
  start --remote [--param name=value …]
                              StartPipelineExecution with every parameter's value

  --pipeline-name <name>      default: the definition's name (petal-flower-classifier)
  --pipeline-role-arn <arn>   the role SageMaker Pipelines runs as (PETAL_PIPELINE_ROLE_ARN; default --role-arn)
${COMPILE_SETTINGS.map((k) => `  --${k.padEnd(24)}  ${SETTING_SOURCES[k].help} (${SETTING_SOURCES[k].env})`).join('\n')}

compile and describe need no AWS account: missing settings become <setting> placeholders, which upsert
refuses. start --remote needs data as an s3:// URI; deployed-accuracy (0 when nothing is deployed) comes
from the SageMaker model registry unless given; git-commit is filled from git.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** What commands touch outside themselves, so tests can give them fakes. */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  sagemaker: () => SageMakerClient;
  s3: () => S3Client;
  gitCommit: () => string | undefined;
  /** The SageMaker model registry, read for the deployed version's accuracy. */
  registry: () => DeployedLookup;
  /** For the local executor (run, list, show, retry); defaults from the process. */
  local?: Partial<LocalIo>;
}

function localIo(io: CommandIo): LocalIo {
  return {
    env: io.env,
    stdout: io.stdout,
    isTTY: process.stdout.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    gitCommit: io.gitCommit,
    repoRoot: repoPath(),
    cwd: io.env.INIT_CWD ?? process.cwd(),
    ...io.local,
  };
}

export const defaultIo = (): CommandIo => ({
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  sagemaker: () => new SageMakerClient({}),
  s3: () => new S3Client({}),
  // The image only matters when registering; reading what is deployed needs none.
  registry: () => new SageMakerModelRegistry({ client: new SageMakerClient({}), image: process.env.PETAL_INFERENCE_IMAGE ?? '' }),
  gitCommit: () => {
    try {
      return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  },
});

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      param: { type: 'string', multiple: true },
      remote: { type: 'boolean' },
      json: { type: 'boolean' },
      'pipeline-name': { type: 'string' },
      'pipeline-role-arn': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(COMPILE_SETTINGS.map((k) => [k, { type: 'string' as const }])),
    },
  });
}

/** Runs one `npm run pipeline` command on a definition (the flower pipeline unless a test passes another). */
export async function runCommand(argv: string[], io: CommandIo = defaultIo(), definition: PipelineDefinition = flowerPipeline): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    io.stdout(`${USAGE}\n`);
    return;
  }
  const takesId = command === 'show' || command === 'retry';
  if (rest.length > (takesId ? 1 : 0)) throw new UsageError(`unexpected argument ${rest[takesId ? 1 : 0]}`);
  switch (command) {
    case 'run':
      await runLocal(localIo(io), definition, values.param ?? []);
      return;
    case 'list':
      await listLocal(localIo(io), values.json ?? false);
      return;
    case 'show':
      await showLocal(localIo(io), definition, rest[0], values.json ?? false);
      return;
    case 'retry':
      if (!rest[0]) throw new UsageError('retry needs an execution id (npm run pipeline -- list)');
      await retryLocal(localIo(io), definition, rest[0]);
      return;
  }
  const settings = readSettings(values, io.env);
  const pipelineName = values['pipeline-name'] ?? definition.name;

  switch (command) {
    case 'compile': {
      if (!values.out) throw new UsageError('compile needs --out <file>');
      const compiled = compilePipeline(definition, settings);
      const problems = checkCompiledDefinition(compiled.definition);
      if (problems.length) throw new Error(`the compiled definition is unsound (a compiler bug):\n${problems.join('\n')}`);
      const out = resolve(values.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${JSON.stringify(compiled.definition, null, 2)}\n`);
      io.stdout(`wrote ${out}${compiled.missingSettings.length ? ` (placeholders for ${compiled.missingSettings.join(', ')})` : ''}\n`);
      return;
    }
    case 'describe':
      io.stdout(describePipeline(definition));
      return;
    case 'upsert': {
      const roleArn = values['pipeline-role-arn'] ?? io.env.PETAL_PIPELINE_ROLE_ARN ?? settings['role-arn'];
      if (!roleArn) throw new UsageError('upsert needs --pipeline-role-arn or --role-arn (PETAL_PIPELINE_ROLE_ARN, PETAL_SAGEMAKER_ROLE_ARN)');
      const result = await upsertPipeline({
        sagemaker: io.sagemaker(),
        s3: io.s3,
        pipelineName,
        description: definition.description,
        compiled: compilePipeline(definition, settings),
        roleArn,
        artifactS3Uri: settings['artifact-s3-uri'],
      });
      io.stdout(`${result.action} pipeline ${pipelineName}${result.pipelineArn ? ` (${result.pipelineArn})` : ''}\n`);
      return;
    }
    case 'start': {
      if (!values.remote) {
        throw new UsageError('start runs on SageMaker and needs --remote; run the pipeline here with the local executor (npm run pipeline -- run)');
      }
      const given = parseParameterAssignments(values.param ?? []);
      const gitCommit = io.gitCommit();
      const context: StartContext = gitCommit ? { gitCommit } : {};
      if (given['deployed-accuracy'] === undefined && definition.parameters.some((p) => p.name === 'deployed-accuracy')) {
        const deployed = await deployedModel(io.registry(), MODEL_PACKAGE_GROUP);
        context.deployedAccuracy = deployed?.accuracy ?? 0;
        io.stdout(
          deployed
            ? `deployed-accuracy ${deployed.accuracy}: ${MODEL_PACKAGE_GROUP} version ${deployed.version} is deployed (SageMaker model registry)\n`
            : `deployed-accuracy 0: the SageMaker model registry records no deployed ${MODEL_PACKAGE_GROUP} version\n`,
        );
      }
      const parameters = resolveParameters(definition.parameters, given, context);
      const data = parameters.data;
      if (data !== undefined && !String(data).startsWith('s3://')) {
        throw new ParameterError(`parameter data must be an s3:// URI on SageMaker, got ${JSON.stringify(data)}`);
      }
      const { executionArn } = await startPipelineExecution({ sagemaker: io.sagemaker(), pipelineName, parameters });
      io.stdout(`started ${executionArn ?? pipelineName}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command ${command} (run, list, show, retry, compile, describe, upsert, start)`);
  }
}

/** The exit status an error asks for: an execution's outcome (1 failed or rejected, 130 interrupted, 2 refused). */
export function exitCodeOf(err: unknown): number | undefined {
  return err instanceof ExecutionOutcomeError ? err.exitCode : undefined;
}

/** Errors a person fixes by changing the command line (exit 2, with the usage). */
export function isUsageError(err: unknown): boolean {
  return (
    err instanceof UsageError ||
    err instanceof ParameterError ||
    err instanceof SettingsError ||
    ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ?? false)
  );
}
