import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceTensorBody } from './testing/images.js';
import { listeningUrl, spawnEndpoint, waitForPing } from './testing/spawn.js';
import { MODEL_DIR, SKIP_DATA_REASON, SKIP_MODEL_REASON, hasData, hasModel, samplePhotos } from './testing/start.js';
import { anyJson } from './testing/json.js';

describe('endpoint process: fail-fast startup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-endpoint-bad-'));
    await writeFile(join(dir, 'manifest.json'), '{"formatVersion": 1, "name": "x"}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 1 with a clear message when MODEL_DIR does not exist', async () => {
    const p = spawnEndpoint({ MODEL_DIR: join(dir, 'nowhere') });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(/model not found at .*nowhere; set MODEL_DIR/);
  });

  it('exits 1 naming the problem when the model directory is invalid', async () => {
    const p = spawnEndpoint({ MODEL_DIR: dir });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(/endpoint: cannot load model from .*manifest/);
  });

  it('exits 1 on invalid configuration, naming the variable', async () => {
    const p = spawnEndpoint({ MODEL_DIR: dir, MAX_BATCH: 'lots' });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(/MAX_BATCH/);
  });

  it('refuses an unknown command', async () => {
    const p = spawnEndpoint({ MODEL_DIR: dir }, ['train']);
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toMatch(/usage: main.js \[serve\]/);
  });
});

if (!hasModel || !hasData) console.warn(`skipping graceful-shutdown test: ${!hasModel ? SKIP_MODEL_REASON : SKIP_DATA_REASON}`);

describe.skipIf(!hasModel || !hasData)('endpoint process: graceful shutdown (real model)', () => {
  it('on SIGTERM finishes the requests in flight, then exits 0', async () => {
    const p = spawnEndpoint({ MODEL_DIR, MAX_BATCH: '1' });
    try {
      const url = await listeningUrl(p);
      await waitForPing(url);
      const photo = samplePhotos(1)[0]!;
      const tensor = await referenceTensorBody(photo.path, 224);
      const jpeg = await readFile(photo.path);
      // Eight ~3 MB tensors with batching off take long enough that several are still queued at SIGTERM.
      const done: boolean[] = [];
      const requests = Array.from({ length: 8 }, (_, i) =>
        fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tensor }).then(async (res) => {
          const body = await res.json().then(anyJson);
          done[i] = true;
          return { status: res.status, body };
        }),
      );
      // The bodies must have reached the server before the signal, or they would not be "in flight".
      await new Promise((r) => setTimeout(r, 150));
      const pendingAtSignal = 8 - done.filter(Boolean).length;
      p.child.kill('SIGTERM');
      const results = await Promise.all(requests);
      expect(pendingAtSignal).toBeGreaterThan(0);
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      for (const r of results) expect(r.body.predictions[0]).toHaveLength(r.body.labels.length);
      const exit = await p.exited;
      expect(exit.code).toBe(0);
      expect(p.output()).toMatch(/shutting down: draining in-flight requests/);
      expect(p.output()).toMatch(/shutdown complete/);
      // New connections are refused once it is gone.
      await expect(fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg })).rejects.toThrow();
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
