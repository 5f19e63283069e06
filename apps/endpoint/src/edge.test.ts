import { endpointPingSchema, errorBodySchema, parseContract } from '@petal/contracts';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEndpointConfig } from './config.js';
import { fakeModel } from './testing/fake-model.js';
import { MODEL_DIR, hasModel, startEndpoint, type Running } from './testing/start.js';

// What the endpoint shows to whoever reaches its port, with a stand-in model (the loader is injected;
// the same routes run against the real model in endpoint.contract.test.ts).

/** A request with a chosen Host header (fetch always sends the URL's). */
function post(url: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server: Running | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const loader = async (location: string) => fakeModel({ version: location.split('/').pop() ?? 'x' });

describe('admin route without ADMIN_TOKEN', () => {
  it('accepts a loopback Host and refuses a rebound DNS name (Host check)', async () => {
    server = await startEndpoint({ modelDir: '/srv/models/one', adminToken: undefined }, { loader });
    const { port } = new URL(server.url);
    const swap = (host: string) => post(server!.url, '/admin/models', { host }, JSON.stringify({ modelDir: '/srv/models/two' }));
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect((await swap(host)).status).toBe(200);
    const rebound = await swap(`attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(parseContract(errorBodySchema, JSON.parse(rebound.body), 'the 403').error.code).toBe('FORBIDDEN');
  });

  it('is closed altogether when the endpoint listens beyond loopback', async () => {
    server = await startEndpoint({ modelDir: '/srv/models/one', adminToken: undefined, host: '0.0.0.0' }, { loader });
    const { port } = new URL(server.url);
    const res = await post(server.url, '/admin/models', { host: `localhost:${port}` }, JSON.stringify({ modelDir: '/srv/models/two' }));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.message).toMatch(/ADMIN_TOKEN/);
  });

  it('with a token, the token decides (good passes, wrong fails), whatever the listening address', async () => {
    server = await startEndpoint({ modelDir: '/srv/models/one', adminToken: 't0ken', host: '0.0.0.0' }, { loader });
    const body = JSON.stringify({ modelDir: '/srv/models/two' });
    expect((await post(server.url, '/admin/models', { 'x-admin-token': 't0ken' }, body)).status).toBe(200);
    expect((await post(server.url, '/admin/models', { 'x-admin-token': 'nope!' }, body)).status).toBe(403);
    // A guess that shares the token's prefix, or is longer, is just as wrong.
    expect((await post(server.url, '/admin/models', { 'x-admin-token': 't0ken-and-more' }, body)).status).toBe(403);
    expect((await post(server.url, '/admin/models', { authorization: 'Bearer t0ke' }, body)).status).toBe(403);
  });

  it('refuses to start with a short ADMIN_TOKEN, and takes a long one', () => {
    expect(() => loadEndpointConfig({ ADMIN_TOKEN: 'short' })).toThrow(/16 characters/);
    expect(loadEndpointConfig({ ADMIN_TOKEN: 'a-long-enough-admin-token' }).adminToken).toBe('a-long-enough-admin-token');
  });

  it('spins ONNX Runtime threads within a call unless INFERENCE_SPINNING=0', () => {
    expect(loadEndpointConfig({}).inferenceSpinning).toBe(true);
    expect(loadEndpointConfig({ INFERENCE_SPINNING: '0' }).inferenceSpinning).toBe(false);
    expect(() => loadEndpointConfig({ INFERENCE_SPINNING: 'yes' })).toThrow(/INFERENCE_SPINNING/);
  });
});

describe('public answers carry no filesystem paths or raw error texts', () => {
  it('/ping and /models name the model directory, not its absolute path', async () => {
    server = await startEndpoint({ modelDir: '/srv/secret-mount/flower-classifier' }, { loader });
    for (const path of ['/ping', '/models']) {
      const text = await (await fetch(`${server.url}${path}`)).text();
      expect(text).not.toContain('/srv/secret-mount');
      expect(parseContract(endpointPingSchema, JSON.parse(text), path).model?.location).toBe('flower-classifier');
    }
  });

  it('a failed swap leaves no loader message in /ping', async () => {
    const failing = async (location: string) => {
      if (location.includes('broken')) throw new Error(`ENOENT: no such file or directory, open '${location}/manifest.json'`);
      return fakeModel();
    };
    server = await startEndpoint({ modelDir: '/srv/models/one' }, { loader: failing });
    const { port } = new URL(server.url);
    const swap = await post(server.url, '/admin/models', { host: `localhost:${port}` }, JSON.stringify({ modelDir: '/srv/models/broken' }));
    expect(swap.status).toBe(422);
    const ping = await (await fetch(`${server.url}/ping`)).text();
    expect(ping).not.toMatch(/ENOENT|\/srv\//);
  });
});

describe('a JSON batch is bounded by its decoded pixels, not only its count', () => {
  it('refuses a batch whose images hold more pixels together than allowed, before decoding; a smaller one passes', async () => {
    const sharp = (await import('sharp')).default;
    server = await startEndpoint({ maxRequestPixels: 1_000_000 }, { loader });
    // 800×600 = 0.48 MP each: two fit in 1 MP, three do not (each alone is far below the per-image limit).
    const jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3a7' } }).jpeg({ quality: 50 }).toBuffer();
    const batch = (n: number) =>
      fetch(`${server!.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: Array.from({ length: n }, () => ({ b64: jpeg.toString('base64') })) }),
      });
    const refused = await batch(3);
    expect(refused.status).toBe(400);
    const body = parseContract(errorBodySchema, await refused.json(), 'the 400');
    expect(body.error.code).toBe('TOO_MANY_PIXELS');
    expect(body.error.message).toMatch(/1\.4 MP together/);
    expect((await batch(2)).status).toBe(200);
  });
});

describe('a model manifest cannot point outside its directory', () => {
  it.skipIf(!hasModel)('refuses a weights file outside the model directory; the same file inside loads', async () => {
    const { mkdtemp, mkdir, readFile, writeFile, copyFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readArtifact } = await import('@petal/model');
    const work = await mkdtemp(join(tmpdir(), 'petal-manifest-'));
    try {
      const model = join(work, 'model');
      await mkdir(model);
      await mkdir(join(work, 'elsewhere'));
      const manifest = JSON.parse(await readFile(join(MODEL_DIR, 'manifest.json'), 'utf8'));
      const weights = manifest.head.weights.file as string;
      await copyFile(join(MODEL_DIR, weights), join(work, 'elsewhere', weights));
      await copyFile(join(MODEL_DIR, weights), join(model, weights));
      await writeFile(join(model, 'manifest.json'), JSON.stringify(manifest));
      expect((await readArtifact(model)).manifest.name).toBe(manifest.name);
      for (const escape of [`../elsewhere/${weights}`, join(work, 'elsewhere', weights)]) {
        await writeFile(join(model, 'manifest.json'), JSON.stringify({ ...manifest, head: { ...manifest.head, weights: { ...manifest.head.weights, file: escape } } }));
        await expect(readArtifact(model)).rejects.toThrow(/outside the model directory/);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
