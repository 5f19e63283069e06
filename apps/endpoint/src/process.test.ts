import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax } from './testing/images.js';
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
    // Batching off and one model call at a time, so requests queue up behind each other.
    const p = spawnEndpoint({ MODEL_DIR, MAX_BATCH: '1', INFERENCE_CONCURRENCY: '1' });
    try {
      const url = await listeningUrl(p);
      await waitForPing(url);
      const photo = samplePhotos(1)[0]!;
      const jpeg = await readFile(photo.path);
      const total = 24;
      let answered = 0;
      const requests = Array.from({ length: total }, () =>
        fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg }).then(async (res) => {
          const body = await res.json().then(anyJson);
          answered++;
          return { status: res.status, body };
        }),
      );
      // Signal only once every request has reached the server (queued, running or answered), so all of
      // them are the server's responsibility and some are still waiting in its queue.
      let waiting = 0;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const { queue } = await fetch(`${url}/models`).then((r) => r.json()).then(anyJson);
        waiting = queue.depth;
        if (queue.depth + queue.inFlight + answered >= total) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      p.child.kill('SIGTERM');
      const results = await Promise.all(requests);
      expect(waiting).toBeGreaterThan(0);
      expect(results.map((r) => r.status)).toEqual(Array(total).fill(200));
      for (const r of results) expect(r.body.labels[argmax(r.body.predictions[0])]).toBe(photo.label);
      const exit = await p.exited;
      expect(exit.code).toBe(0);
      expect(p.output()).toMatch(/shutting down: draining in-flight requests/);
      expect(p.output()).toMatch(/shutdown complete/);
      // New connections are refused once it is gone.
      await expect(fetch(`${url}/ping`)).rejects.toThrow();
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
