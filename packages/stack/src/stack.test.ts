import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES, SERVICES, findRepoRoot, launchArgs, repoPath, REPO_ROOT, startOrder, wiringEnv } from './index.js';

describe('the repository root', () => {
  it('is the folder whose package.json declares the workspaces', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces?: unknown };
    expect(manifest.workspaces).toBeDefined();
    expect(existsSync(join(REPO_ROOT, 'packages/stack/src/layout.ts'))).toBe(true);
  });

  it('is found from any folder below it, skipping workspace package.json files', () => {
    const root = mkdtempSync(join(tmpdir(), 'petal-root-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'r', workspaces: ['packages/*'] }));
      mkdirSync(join(root, 'packages/a/src/deep'), { recursive: true });
      writeFileSync(join(root, 'packages/a/package.json'), JSON.stringify({ name: 'a' }));
      expect(findRepoRoot(join(root, 'packages/a/src/deep'))).toBe(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is an error outside a checkout, not a guess', () => {
    const outside = mkdtempSync(join(tmpdir(), 'petal-no-root-'));
    try {
      expect(() => findRepoRoot(outside)).toThrow(/not inside a Petal checkout/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('the services', () => {
  it.each(SERVICE_NAMES)('%s: the source entry exists inside the workspace it names', (name) => {
    const { entry, workspace } = SERVICES[name];
    expect(existsSync(repoPath(entry.source))).toBe(true);
    const folder = entry.source.split('/').slice(0, 2).join('/');
    expect(entry.dist.startsWith(`${folder}/dist/`)).toBe(true);
    expect((JSON.parse(readFileSync(repoPath(folder, 'package.json'), 'utf8')) as { name: string }).name).toBe(workspace);
  });

  it.each(SERVICE_NAMES)('%s: its container image runs the dist entry on the described port', (name) => {
    const { entry, port } = SERVICES[name];
    // The image's stage (`FROM … AS <name>` up to the next FROM) in the one multi-target Dockerfile.
    const dockerfile = readFileSync(repoPath('containers/Dockerfile'), 'utf8').split(/^(?=FROM )/m).find((stage) => new RegExp(`^FROM \\S+ AS ${name}$`, 'm').test(stage)) ?? '';
    expect(dockerfile).toContain(`"${entry.dist}"`);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`PORT=${port}\\b`));
  });

  it('are plain data (JSON round-trips them unchanged) with distinct ports', () => {
    expect(JSON.parse(JSON.stringify(SERVICES))).toEqual(SERVICES);
    expect(new Set(SERVICE_NAMES.map((n) => SERVICES[n].port)).size).toBe(SERVICE_NAMES.length);
  });

  it('run from source through tsx, or from dist with plain node', () => {
    expect(launchArgs('endpoint')).toEqual(['--conditions=source', '--import', 'tsx', repoPath('apps/endpoint/src/main.ts'), 'serve']);
    expect(launchArgs('was', { mode: 'dist' })).toEqual([repoPath('apps/was/dist/main.js')]);
    expect(launchArgs('endpoint', { args: [] }).at(-1)).toBe(repoPath('apps/endpoint/src/main.ts'));
  });
});

describe('the wiring', () => {
  const urls = { endpoint: 'http://127.0.0.1:1', was: 'http://127.0.0.1:2/', web: 'http://127.0.0.1:3' };

  it('points the WAS at the endpoint, and the web tier at the WAS and (for the status view) the endpoint', () => {
    expect(wiringEnv('endpoint', urls)).toEqual({});
    expect(wiringEnv('was', urls)).toEqual({ SAGEMAKER_RUNTIME_URL: 'http://127.0.0.1:1' });
    expect(wiringEnv('web', urls)).toEqual({ WAS_URL: 'http://127.0.0.1:2', ENDPOINT_URL: 'http://127.0.0.1:1' });
  });

  it('leaves out optional neighbours and refuses to leave out required ones', () => {
    expect(wiringEnv('web', { was: urls.was })).toEqual({ WAS_URL: 'http://127.0.0.1:2' });
    expect(() => wiringEnv('was', {})).toThrow(/was needs the endpoint URL \(SAGEMAKER_RUNTIME_URL\)/);
  });

  it('starts every service after the ones it links to', () => {
    expect(startOrder()).toEqual(['endpoint', 'was', 'web']);
    expect(startOrder(['web', 'was', 'endpoint'])).toEqual(['endpoint', 'was', 'web']);
    expect(startOrder(['web', 'was'])).toEqual(['was', 'web']);
  });
});
