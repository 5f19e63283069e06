/**
 * The container files against the one description of the stack (@petal/stack): compose.yaml wires the
 * services as `npm start` does, every image target exists and runs unprivileged with a health check,
 * and the Dockerfile's shared manifest step copies every workspace. The images themselves are built and
 * run by the smoke test (`npm run images:smoke`), which needs a container engine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LISTEN_ENV, SERVICES, SERVICE_NAMES, repoPath, wiringEnv, type ServiceName } from '@petal/stack';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DOCKERFILE, IMAGE_NAMES, baseImage, detectEngine } from './engine.js';

interface ComposeService {
  image: string;
  build: { context: string; dockerfile: string; target: string };
  environment: Record<string, string>;
  ports: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(repoPath('compose.yaml'), 'utf8')) as { services: Record<string, ComposeService> };
const dockerfile = readFileSync(repoPath(DOCKERFILE), 'utf8');

/** One stage of the Dockerfile: from its `FROM … AS <name>` line to the next FROM. */
function stage(name: string): string {
  const found = dockerfile.split(/^(?=FROM )/m).find((s) => new RegExp(`^FROM \\S+ AS ${name}$`, 'm').test(s));
  if (!found) throw new Error(`${DOCKERFILE} has no stage ${name}`);
  return found;
}

/** How the services reach each other on the compose network: by service name, on their own ports. */
const composeUrls = Object.fromEntries(SERVICE_NAMES.map((n) => [n, `http://${n}:${SERVICES[n].port}`])) as Record<ServiceName, string>;

describe('compose.yaml', () => {
  it('runs exactly the services of the stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it.each(SERVICE_NAMES)('%s: its image, built from its target of containers/Dockerfile', (name) => {
    const service = compose.services[name]!;
    expect(service.image).toBe(`petal-${name}:\${PETAL_TAG:-latest}`);
    expect(service.build).toEqual({ context: '.', dockerfile: DOCKERFILE, target: name });
  });

  it.each(SERVICE_NAMES)('%s: listens on all interfaces of its container, on the port npm start and ECS use', (name) => {
    const env = compose.services[name]!.environment;
    expect(env[LISTEN_ENV.host]).toBe('0.0.0.0');
    expect(env[LISTEN_ENV.port]).toBe(String(SERVICES[name].port));
  });

  it.each(SERVICE_NAMES)('%s: wired to its neighbours exactly as @petal/stack describes', (name) => {
    // TRUSTED_PROXIES is who may name the client, not wiring: checked on its own below.
    const { [LISTEN_ENV.host]: _host, [LISTEN_ENV.port]: _port, TRUSTED_PROXIES: _trusted, ...wiring } = compose.services[name]!.environment;
    expect(wiring).toEqual(wiringEnv(name, composeUrls));
    // Started after what it needs (compose's order; the smoke test waits for readiness itself).
    for (const link of SERVICES[name].links.filter((l) => !l.optional)) expect(compose.services[name]!.depends_on).toHaveProperty(link.to);
  });

  it('only the WAS believes a forwarded client address, and only from private (compose network) addresses', () => {
    const trusted = (name: string) => compose.services[name]!.environment.TRUSTED_PROXIES;
    expect(trusted('was')?.split(',')).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    // The web container faces browsers (through the host's port mapping): it must trust no one's header.
    expect(trusted('web')).toBeUndefined();
    expect(trusted('endpoint')).toBeUndefined();
  });

  it.each(SERVICE_NAMES)('%s: published on loopback only, on a host port PETAL_<NAME>_PORT overrides', (name) => {
    const { port } = SERVICES[name];
    expect(compose.services[name]!.ports).toEqual([`127.0.0.1:\${PETAL_${name.toUpperCase()}_PORT:-${port}}:${port}`]);
  });
});

describe('containers/Dockerfile', () => {
  it('has a target for every image npm run images builds', () => {
    for (const name of IMAGE_NAMES) expect(() => stage(name)).not.toThrow();
    expect(() => stage('no-such-image')).toThrow(/no stage no-such-image/);
  });

  it.each(SERVICE_NAMES)('%s: runs as the unprivileged node user, with a HEALTHCHECK on its health path', (name) => {
    const text = stage(name);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^ENV NODE_ENV=production/m);
    expect(text).toMatch(/HOST=0\.0\.0\.0/);
    const probed = SERVICES[name].name === 'endpoint' ? SERVICES[name].readyPath : SERVICES[name].healthPath;
    expect(text).toMatch(new RegExp(`^HEALTHCHECK [^\\n]*\\\\\\n\\s+CMD .*'${probed}'`, 'm'));
  });

  it('the training image honours both SageMaker job contracts through its entry point', () => {
    const text = stage('training');
    expect(text).toMatch(/^ENTRYPOINT \["petal-ml"\]$/m);
    expect(text).toMatch(/^CMD \["train"\]$/m);
    const entry = readFileSync(repoPath('containers/ml-entrypoint.sh'), 'utf8');
    // The dispatcher runs the compiled CLIs; both exist as sources with the argument they are given.
    expect(entry).toContain('node /app/ml/training/dist/cli.js train');
    expect(entry).toContain('node /app/ml/evaluation/dist/cli.js processing');
    expect(existsSync(repoPath('ml/training/src/cli.ts')) && existsSync(repoPath('ml/evaluation/src/cli.ts'))).toBe(true);
    // The job itself never runs as root.
    expect(entry).toMatch(/exec setpriv --reuid=node --regid=node/);
  });

  it('names its base image once, and the endpoint carries no TF.js converter', () => {
    expect(baseImage()).toMatch(/^node:\d+-bookworm-slim$/);
    expect(stage('endpoint-app')).toMatch(/stage\.sh install @petal\/endpoint$/m);
    expect(stage('endpoint-app')).not.toContain('model-convert');
  });
});

describe('containers/stage.sh manifests', () => {
  it('copies the lock, .npmrc and every workspace manifest the root package.json names, and nothing else', () => {
    const out = mkdtempSync(join(tmpdir(), 'petal-manifests-'));
    try {
      execFileSync('sh', [repoPath('containers/stage.sh'), 'manifests', out], { cwd: repoPath() });
      const workspaces = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { workspaces: string[] }).workspaces.flatMap((pattern) =>
        pattern.endsWith('/*')
          ? readdirSync(repoPath(pattern.slice(0, -2)))
              .map((d) => `${pattern.slice(0, -2)}/${d}`)
              .filter((d) => existsSync(repoPath(d, 'package.json')))
          : [pattern],
      );
      expect(workspaces.length).toBeGreaterThan(5);
      for (const dir of workspaces) expect(readFileSync(join(out, dir, 'package.json'), 'utf8')).toBe(readFileSync(repoPath(dir, 'package.json'), 'utf8'));
      for (const file of ['package.json', 'package-lock.json', '.npmrc']) expect(existsSync(join(out, file))).toBe(true);
      const copied = execFileSync('find', ['.', '-type', 'f'], { cwd: out, encoding: 'utf8' }).trim().split('\n');
      expect(copied).toHaveLength(workspaces.length + 3);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses an unknown command', () => {
    expect(() => execFileSync('sh', [repoPath('containers/stage.sh'), 'bogus'], { cwd: repoPath(), stdio: 'pipe' })).toThrow(/unknown command bogus/);
  });
});

describe('detectEngine', () => {
  it('refuses an engine it does not know, rather than guessing', () => {
    expect(() => detectEngine({ PETAL_CONTAINER_ENGINE: 'containerd' })).toThrow(/docker or podman/);
  });
});
