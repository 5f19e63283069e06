// `npm run pipeline` commands, run in-process with fake IO; the SageMaker calls go to aws-sdk-client-mock
// (no AWS account is reachable here).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { CreatePipelineCommand, SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { samplePackage } from '@petal/registry/testing';
import { isUsageError, runCommand, type CommandIo } from './commands.js';
import type { DeployedLookup } from './start-context.js';
import { GOLDEN_DIR } from './testing/golden.js';
import { TEST_SETTINGS } from './testing/settings.js';
import { SETTING_SOURCES } from './settings.js';
import type { CompileSetting } from './expressions.js';

const sagemakerMock = mockClient(SageMakerClient);
const settingsEnv = Object.fromEntries(Object.entries(TEST_SETTINGS).map(([k, v]) => [SETTING_SOURCES[k as CompileSetting].env, v]));

/** A registry that records version 3 (registered at 0.9772) as deployed, or nothing; counts its reads. */
function fakeRegistry(deployed: boolean) {
  const reads: string[] = [];
  const registry: DeployedLookup = {
    deployed: async (group) => {
      reads.push(group);
      return deployed ? { group, version: 3, arn: 'arn:package/3', deployedAt: '2026-11-25T00:00:00Z', by: 'test' } : undefined;
    },
    get: async (group, version) => ({ ...samplePackage({ group }), version, arn: 'arn:package/3', approval: 'Approved', createdAt: '', history: [] }),
  };
  return { registry, reads };
}

function io(env: NodeJS.ProcessEnv = settingsEnv, registry = fakeRegistry(false)): CommandIo & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    registry: () => registry.registry,
    env,
    stdout: (text) => out.push(text),
    sagemaker: () => new SageMakerClient({ region: 'us-east-1' }),
    s3: () => new S3Client({ region: 'us-east-1' }),
    gitCommit: () => 'abc123',
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petal-pipeline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => sagemakerMock.reset());

describe('npm run pipeline', () => {
  it('compile --out writes the golden flower pipeline, settings from the environment', async () => {
    const out = join(dir, 'pipeline.json');
    const fake = io();
    await runCommand(['compile', '--out', out], fake);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(JSON.parse(await readFile(join(GOLDEN_DIR, 'flower-pipeline.json'), 'utf8')));
    expect(fake.out.join('')).toBe(`wrote ${out}\n`);
  });

  it('compile without settings says which placeholders it left', async () => {
    const fake = io({});
    await runCommand(['compile', '--out', join(dir, 'bare.json')], fake);
    expect(fake.out.join('')).toContain('(placeholders for role-arn, training-image, evaluation-image, serving-image, deploy-function-arn, artifact-s3-uri)');
  });

  it('describe prints the parameters with defaults and the step graph', async () => {
    const fake = io({});
    await runCommand(['describe'], fake);
    const text = fake.out.join('');
    expect(text).toMatch(/^ {2}epochs +Integer +15 +training epochs/m);
    expect(text).toMatch(/^ {2}deployed-accuracy +Float +\(filled at start\)/m);
    expect(text).toContain('  Evaluate ← Train');
    expect(text).toContain('  Deploy [when CheckApproval is true] ← RegisterModel');
  });

  it('upsert creates the pipeline with the role from the environment', async () => {
    sagemakerMock.on(CreatePipelineCommand).resolves({ PipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/petal-flower-classifier' });
    const fake = io();
    await runCommand(['upsert'], fake);
    const input = sagemakerMock.commandCalls(CreatePipelineCommand)[0]!.args[0].input;
    expect(input.RoleArn).toBe(TEST_SETTINGS['role-arn']);
    expect(input.PipelineName).toBe('petal-flower-classifier');
    expect(fake.out.join('')).toContain('created pipeline petal-flower-classifier');
  });

  it('start --remote fills deployed-accuracy from the SageMaker registry and git-commit from git', async () => {
    sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:execution' });
    const registry = fakeRegistry(true);
    const fake = io(settingsEnv, registry);
    await runCommand(['start', '--remote', '--param', 'data=s3://petal-data/flowers', '--pipeline-name', 'petal-test'], fake);
    const input = sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input;
    expect(input.PipelineName).toBe('petal-test');
    expect(input.PipelineParameters).toEqual(
      expect.arrayContaining([
        { Name: 'deployed-accuracy', Value: '0.9772' },
        { Name: 'regression-floor', Value: '0.9672' },
        { Name: 'git-commit', Value: 'abc123' },
      ]),
    );
    expect(registry.reads).toEqual(['flower-classifier']);
    expect(fake.out.join('')).toBe('deployed-accuracy 0.9772: flower-classifier version 3 is deployed (SageMaker model registry)\nstarted arn:execution\n');
  });

  it('start --remote with nothing deployed gates on the threshold alone', async () => {
    sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:execution' });
    await runCommand(['start', '--remote', '--param', 'data=s3://petal-data/flowers'], io());
    expect(sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input.PipelineParameters).toEqual(
      expect.arrayContaining([{ Name: 'deployed-accuracy', Value: '0' }, { Name: 'regression-floor', Value: '0' }]),
    );
  });

  it('start --remote with deployed-accuracy given does not read the registry', async () => {
    sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:execution' });
    const registry = fakeRegistry(true);
    await runCommand(['start', '--remote', '--param', 'data=s3://b/p', '--param', 'deployed-accuracy=0.5'], io(settingsEnv, registry));
    expect(registry.reads).toEqual([]);
    expect(sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input.PipelineParameters).toEqual(
      expect.arrayContaining([{ Name: 'deployed-accuracy', Value: '0.5' }]),
    );
  });

  it.each([
    [['start', '--param', 'epochs=3'], 'start runs on SageMaker and needs --remote'],
    [['start', '--remote', '--param', 'deployed-accuracy=0'], 'parameter data has no value: pass --param data=<String>'],
    [['start', '--remote', '--param', 'data=../flowers', '--param', 'deployed-accuracy=0'], 'parameter data must be an s3:// URI on SageMaker'],
    [['compile'], 'compile needs --out <file>'],
    [['frobnicate'], 'unknown command frobnicate'],
    [['describe', '--role-arn', 'admin'], '--role-arn (PETAL_SAGEMAKER_ROLE_ARN) must be an IAM role ARN: "admin"'],
    [['describe', '--nope'], "Unknown option '--nope'"],
  ])('%j is a usage error: %s', async (argv, message) => {
    const error = await runCommand(argv, io()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(message);
    expect(isUsageError(error)).toBe(true);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  it('upsert without a role is a usage error', async () => {
    await expect(runCommand(['upsert'], io({}))).rejects.toThrow('upsert needs --pipeline-role-arn or --role-arn');
  });
});
