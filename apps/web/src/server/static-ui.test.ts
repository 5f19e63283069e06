import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi } from '../e2e/stack.js';
import { buildApp } from './app.js';
import { loadWebConfig } from './config.js';
import { PERMISSIONS_POLICY } from './security.js';

// The real production build of the UI (vite with the project's own config and plugins) served by the real
// BFF on loopback; only the WAS is absent (nothing here talks to it).
interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain HTTP GET that leaves the body as it came on the wire (fetch would decompress it). */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((done, fail) => {
    const req = httpRequest(new URL(path, base), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('the UI as the BFF serves it: precompressed, no public source maps, a page for 404, the installable shell', () => {
  let clientDir = '';
  let web: FastifyInstance;
  let base = '';
  let script = '';

  beforeAll(async () => {
    clientDir = await mkdtemp(join(tmpdir(), 'petal-static-ui-'));
    await buildUi(clientDir);
    const assets = await readdir(join(clientDir, 'assets'));
    script = assets.find((f) => f.endsWith('.js'))!;
    web = await buildApp(loadWebConfig({ WAS_URL: 'http://127.0.0.1:9', CLIENT_DIR: clientDir }), { logger: false });
    base = await web.listen({ host: '127.0.0.1', port: 0 });
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    if (clientDir) await rm(clientDir, { recursive: true, force: true });
  });

  it('sends the script brotli- or gzip-compressed from files made at build time, with Vary: Accept-Encoding', async () => {
    const original = await readFile(join(clientDir, 'assets', script));
    const br = await get(base, `/assets/${script}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.body.equals(await readFile(join(clientDir, 'assets', `${script}.br`)))).toBe(true);
    expect(brotliDecompressSync(br.body).equals(original)).toBe(true);

    const gz = await get(base, `/assets/${script}`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(original)).toBe(true);

    const plain = await get(base, `/assets/${script}`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    expect(plain.body.equals(original)).toBe(true);
    // React's production build: no development-only JSX runtime in what goes out.
    expect(original.includes('jsxDEV')).toBe(false);
    console.info(`[static-ui] ${script}: ${original.length} B raw, ${gz.body.length} B gzip, ${br.body.length} B brotli`);
    expect(br.body.length).toBeLessThan(original.length / 3);

    const page = await get(base, '/', { 'accept-encoding': 'br' });
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(page.body).toString()).toContain('<div id="root">');
  });

  it('carries its stylesheet inline, allowed by exactly its hash (no unsafe-inline), so the first paint waits for one response', async () => {
    const res = await get(base, '/');
    const html = res.body.toString();
    expect(html).not.toMatch(/<link rel="stylesheet"/);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(css).toContain('.page-title');
    expect((await readdir(join(clientDir, 'assets'))).some((f) => f.endsWith('.css'))).toBe(false); // no second copy
    const csp = String(res.headers['content-security-policy']);
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain(`style-src 'self' ${hash(css)}`);
    expect(csp).not.toContain(hash(`${css} `)); // any other text is not allowed
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    // Other answers keep the plain policy.
    expect(String((await get(base, `/assets/${script}`)).headers['content-security-policy'])).toContain("style-src 'self';");
  });

  it('does not serve source maps (the script does not name one), nor the compressed copies by name', async () => {
    const files = await readdir(join(clientDir, 'assets'));
    expect(files).toContain(`${script}.map`); // written for whoever debugs a deploy …
    expect((await get(base, `/assets/${script}.map`)).status).toBe(404); // … but not public
    expect((await readFile(join(clientDir, 'assets', script), 'utf8')).includes('sourceMappingURL')).toBe(false);
    expect((await get(base, `/assets/${script}.br`)).status).toBe(404);
  });

  it('answers a person with a friendly HTML 404 page and an API client with the JSON error', async () => {
    const page = await get(base, '/no/such/page', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body.toString()).toContain('This page does not exist');
    expect(page.body.toString()).toContain('href="/"');
    const api = await get(base, '/no/such/page', { accept: 'application/json' });
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const css = await get(base, '/404.css');
    expect(css.status).toBe(200);
  });

  it('sets Permissions-Policy: the camera for this origin, the rest off', async () => {
    for (const path of ['/', `/assets/${script}`, '/api/status', '/nope']) {
      const res = await get(base, path, { accept: 'text/html' });
      expect(res.headers['permissions-policy'], path).toBe(PERMISSIONS_POLICY);
    }
    expect(PERMISSIONS_POLICY).toContain('camera=(self)');
    expect(PERMISSIONS_POLICY).toContain('microphone=()');
  });

  it('is installable: the manifest and its icons, and a service worker that keeps exactly this build’s shell', async () => {
    const manifest = JSON.parse((await get(base, '/manifest.webmanifest')).body.toString()) as { start_url: string; display: string; icons: { src: string; type: string }[] };
    expect(manifest.start_url).toBe('/');
    expect(manifest.display).toBe('standalone');
    for (const icon of manifest.icons) {
      const res = await get(base, icon.src);
      expect(res.status, icon.src).toBe(200);
      expect(res.headers['content-type'], icon.src).toContain(icon.type);
    }
    const index = (await get(base, '/')).body.toString();
    expect(index).toContain('rel="manifest" href="/manifest.webmanifest"');

    const sw = await get(base, '/sw.js');
    expect(sw.status).toBe(200);
    expect(sw.headers['cache-control']).toBe('no-cache');
    const source = sw.body.toString();
    const shell = JSON.parse(/const SHELL = (\[.*\]);/.exec(source)![1]!) as string[];
    expect(shell).toEqual(expect.arrayContaining(['/', `/assets/${script}`, '/manifest.webmanifest', '/samples/astilbe.jpg']));
    expect(shell.some((p) => p.endsWith('.map') || p.endsWith('.br') || p.endsWith('.gz'))).toBe(false);
    // Everything it would cache is there to be cached.
    for (const path of shell) expect((await get(base, path)).status, path).toBe(200);
    expect(source).toMatch(/const CACHE = "petal-shell-[0-9a-f]{16}";/);
  });
});
