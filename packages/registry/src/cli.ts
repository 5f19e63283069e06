#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { deployVersion, type DeployVersionResult } from './deploy-version.js';
import { RegistryError } from './errors.js';
import { formatApproval, formatList, formatPackage } from './format.js';
import { loadDeployer } from './load-deployer.js';
import { DEFAULT_GROUP, openRegistry } from './open-registry.js';
import type { Deployer } from './types.js';

const USAGE = `usage: npm run registry -- <command> [options]

  list                    every version of the group: approval, metrics, which one is deployed
  show <version>          one version: artifact, evaluation, metrics, data fingerprint, commit, history
  approve <version>       mark it Approved (emits a Model Package State Change event)
  reject <version>        mark it Rejected; rejecting the deployed version rolls back to the latest
                          other approved one
  deploy <version>        deploy an Approved version to the endpoint and record it

  --group <name>          model package group (default ${DEFAULT_GROUP})
  --reason <text>         why (approve, reject): kept in the version's history
  --deploy                approve: deploy the version once approved
  --json                  print JSON (the shapes in @petal/registry's cli-output.ts) instead of text

Environment: PETAL_STORE (the store holding the local registry), PETAL_REGISTRY=sagemaker with
PETAL_INFERENCE_IMAGE (SageMaker's Model Registry instead), PETAL_REGISTRY_HOOK (a command run with each
state-change event as JSON on stdin), PETAL_USER (who acts; default the login name). deploy, approve --deploy
and a rollback use the deployer of @petal/deploy (its own settings, e.g. PETAL_ENDPOINT_URL, ADMIN_TOKEN).`;

class UsageError extends RegistryError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}

function versionArg(positionals: string[], command: string): number {
  const raw = positionals[1];
  if (raw === undefined) throw new UsageError(`${command} needs a version number: npm run registry -- ${command} <version>`);
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`"${raw}" is not a version number (1, 2, …)`);
  if (positionals.length > 2) throw new UsageError(`unexpected argument ${positionals[2]}`);
  return Number(raw);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      group: { type: 'string', default: DEFAULT_GROUP },
      reason: { type: 'string' },
      deploy: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const out = (text: string, json: unknown) => process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const group = values.group;
  // A deployer is loaded only when a command needs one, so list/show/approve work without @petal/deploy.
  let deployer: Deployer | undefined;
  const getDeployer = async () => (deployer ??= await loadDeployer(env));
  const registry = openRegistry(env, { deployer: getDeployer, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  const deployed = (result: DeployVersionResult) => (result.record ? 0 : 1);

  const [command] = positionals;
  switch (command) {
    case 'list': {
      if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
      const [packages, deployment] = await Promise.all([registry.list(group), registry.deployed(group)]);
      out(formatList(group, packages, deployment), { group, deployed: deployment ?? null, packages });
      return 0;
    }
    case 'show': {
      const version = versionArg(positionals, command);
      const [pkg, deployment] = await Promise.all([registry.get(group, version), registry.deployed(group)]);
      out(formatPackage(pkg, deployment), { package: pkg, deployed: deployment?.version === version, deployment: deployment ?? null });
      return 0;
    }
    case 'approve':
    case 'reject': {
      const version = versionArg(positionals, command);
      if (values.deploy && command === 'reject') throw new UsageError('--deploy goes with approve, not reject');
      if (values.deploy) await getDeployer(); // no deployer: refuse before approving, not after
      const result = await registry.setApproval(group, version, command === 'approve' ? 'Approved' : 'Rejected', {
        ...(values.reason ? { reason: values.reason } : {}),
      });
      if (!values.deploy) {
        out(formatApproval(result), result);
        return result.rollback && !result.rollback.deployed && result.rollback.to !== undefined ? 1 : 0;
      }
      const deployment = await deployVersion(registry, await getDeployer(), group, version);
      out(`${formatApproval(result)}\n${deployment.message}`, { ...result, deployment });
      return deployed(deployment);
    }
    case 'deploy': {
      const version = versionArg(positionals, command);
      await registry.get(group, version); // an unknown version is named before any deployer is loaded
      const result = await deployVersion(registry, await getDeployer(), group, version);
      out(result.message, result);
      return deployed(result);
    }
    default:
      throw new UsageError(`unknown command "${command}": expected list, show, approve, reject or deploy`);
  }
}

function fail(err: unknown, json: boolean): number {
  const refused = err instanceof RegistryError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  const code = err instanceof RegistryError ? err.code : refused ? 'INVALID_INPUT' : 'FAILED';
  const message = (err as Error).message;
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
  process.stderr.write(`registry: ${message}\n${refused && code === 'INVALID_INPUT' ? '(npm run registry -- --help for usage)\n' : ''}`);
  if (!refused && process.env.DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  return refused ? 2 : 1;
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => (process.exitCode = code),
  (err: unknown) => (process.exitCode = fail(err, argv.includes('--json'))),
);
