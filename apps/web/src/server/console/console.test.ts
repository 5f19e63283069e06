// The console's API on a real Fastify instance with the real local backend (a temporary artifact store
// and the local model registry in it): who may read and act under each configuration, both ways, and
// bad input answered with catalog errors. Pipeline runs and deployments are in the Chromium e2e test.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  WEB_ERRORS,
  consoleInfoSchema,
  errorBodySchema,
  executionDetailSchema,
  executionListSchema,
  modelActionAnswerSchema,
  modelListSchema,
  startRunAnswerSchema,
} from '@petal/contracts';
import { makeImageFolder, THREE_COLOURS } from '@petal/evaluation/testing';
import { readExecution } from '@petal/pipeline';
import { LocalModelRegistry } from '@petal/registry';
import { petalService } from '@petal/service-kit';
import { openStore } from '@petal/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerMatches } from './auth.js';
import { loadConsoleConfig } from './config.js';
import { registerConsole } from './index.js';

const TOKEN = 'console-test-token-0123456789';

describe('the console API', () => {
  let storeDir = '';
  let clientDir = '';
  const apps: FastifyInstance[] = [];

  async function consoleApp(vars: Record<string, string>): Promise<FastifyInstance> {
    const env: NodeJS.ProcessEnv = { ...process.env, PETAL_STORE: storeDir, PETAL_REGISTRY: 'local', PETAL_REGISTRY_HOOK: '', HOST: '127.0.0.1', ...vars };
    for (const key of ['CONSOLE', 'CONSOLE_VIEWS', 'CONSOLE_ADMIN_TOKEN', 'TRUSTED_PROXIES']) if (!(key in vars)) delete env[key];
    const app = Fastify({ logger: false });
    await app.register(petalService, { service: 'web' });
    await registerConsole(app, { clientDir, env });
    apps.push(app);
    return app;
  }

  const errorCode = (body: string) => errorBodySchema.parse(JSON.parse(body)).error.code;

  beforeAll(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'petal-console-store-'));
    clientDir = await mkdtemp(join(tmpdir(), 'petal-console-client-'));
    await mkdir(join(clientDir, 'console'));
    await writeFile(join(clientDir, 'console', 'index.html'), '<!doctype html><title>console</title>');
    // One registered version, as the pipeline's RegisterModel step leaves it (no evaluation file behind it).
    await new LocalModelRegistry(openStore(storeDir)).register({
      group: 'flower-classifier',
      artifactUri: `${openStore(storeDir).root}/m/model.tar.gz`,
      evaluationUri: `${openStore(storeDir).root}/m/evaluation.json`,
      metrics: { accuracy: 0.95, macroF1: 0.94, testSize: 12 },
      dataFingerprint: 'sha256:test',
      gitCommit: 'abc',
      modelName: 'flower-classifier',
      modelVersion: '1.0.0',
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const dir of [storeDir, clientDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('compares the bearer token exactly', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });

  it('is off (404s, page included) with CONSOLE=off, and off by default on a public HOST', async () => {
    for (const vars of [{ CONSOLE: 'off' }, { HOST: '0.0.0.0' }] as Record<string, string>[]) {
      const app = await consoleApp(vars);
      for (const url of ['/console/', '/console', '/api/console/info', '/api/console/models']) {
        const res = await app.inject(url);
        expect(res.statusCode, `${JSON.stringify(vars)} ${url}`).toBe(404);
      }
    }
    const on = await consoleApp({});
    expect((await on.inject('/console/')).statusCode).toBe(200);
    expect((await on.inject('/console')).headers.location).toBe('/console/');
  });

  it('refuses to start public with token-guarded views and no token', () => {
    expect(() => loadConsoleConfig({ HOST: '0.0.0.0', CONSOLE: 'on' })).toThrow(/CONSOLE_ADMIN_TOKEN/);
    expect(() => loadConsoleConfig({ CONSOLE_ADMIN_TOKEN: 'short' })).toThrow(/16 characters/);
    expect(loadConsoleConfig({ HOST: '0.0.0.0', CONSOLE: 'on', CONSOLE_VIEWS: 'open' })).toMatchObject({ enabled: true, actions: 'off' });
    expect(loadConsoleConfig({ HOST: '0.0.0.0', CONSOLE: 'on', CONSOLE_ADMIN_TOKEN: TOKEN })).toMatchObject({ enabled: true, actions: 'token', viewsNeedToken: true });
    expect(loadConsoleConfig({})).toMatchObject({ enabled: true, actions: 'open', viewsNeedToken: false });
  });

  it('with a token: reads are open, actions need the token (missing or wrong: 401; right: done)', async () => {
    const app = await consoleApp({ CONSOLE_ADMIN_TOKEN: TOKEN });
    const info = consoleInfoSchema.parse((await app.inject('/api/console/info')).json());
    expect(info.actions).toBe('token');
    expect(info.parameters.map((p) => p.name)).toContain('epochs');
    expect(info.parameters.find((p) => p.name === 'regression-floor')?.automatic).toBe(true);
    expect(executionListSchema.parse((await app.inject('/api/console/executions')).json()).executions).toEqual([]);

    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${TOKEN}`]) {
      const res = await app.inject({ method: 'POST', url: '/api/console/models/1/approve', payload: {}, headers: authorization ? { authorization } : {} });
      expect(res.statusCode, authorization).toBe(WEB_ERRORS.CONSOLE_UNAUTHORIZED.status);
      expect(errorCode(res.body)).toBe('CONSOLE_UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      const run = await app.inject({ method: 'POST', url: '/api/console/executions', payload: { parameters: {} }, headers: authorization ? { authorization } : {} });
      expect(run.statusCode).toBe(401);
    }
    expect(modelListSchema.parse((await app.inject('/api/console/models')).json()).versions[0]?.approval).toBe('PendingManualApproval');

    const ok = await app.inject({ method: 'POST', url: '/api/console/models/1/approve', payload: { reason: 'looks right' }, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode, ok.body).toBe(200);
    const answer = modelActionAnswerSchema.parse(ok.json());
    expect(answer.model).toMatchObject({ version: 1, approval: 'Approved', deployed: false });
    expect(answer.model.history.at(-1)).toMatchObject({ status: 'Approved', by: 'web-console', reason: 'looks right' });

    const again = await app.inject({ method: 'POST', url: '/api/console/models/1/approve', payload: {}, headers: { authorization: `Bearer ${TOKEN}` } });
    expect([again.statusCode, errorCode(again.body)]).toEqual([409, 'CONSOLE_INVALID_TRANSITION']);
  });

  it('with CONSOLE_VIEWS=admin the reads need the token too', async () => {
    const app = await consoleApp({ CONSOLE_ADMIN_TOKEN: TOKEN, CONSOLE_VIEWS: 'admin' });
    for (const url of ['/api/console/info', '/api/console/executions', '/api/console/models', '/api/console/models/1']) {
      expect((await app.inject(url)).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, url).toBe(200);
    }
  });

  it('on a public HOST without a token the views may be open but every action is off', async () => {
    const app = await consoleApp({ HOST: '0.0.0.0', CONSOLE: 'on', CONSOLE_VIEWS: 'open' });
    expect(consoleInfoSchema.parse((await app.inject('/api/console/info')).json()).actions).toBe('off');
    for (const url of ['/api/console/models/1/reject', '/api/console/models/1/deploy', '/api/console/executions']) {
      const res = await app.inject({ method: 'POST', url, payload: {}, headers: { authorization: `Bearer ${TOKEN}` } });
      expect([res.statusCode, errorCode(res.body)], url).toEqual([403, 'CONSOLE_ACTIONS_OFF']);
    }
  });

  it('starts a run without waiting for it, and a server closing mid-run records it as interrupted', async () => {
    const data = await makeImageFolder(THREE_COLOURS, 4);
    try {
      const app = await consoleApp({ CONSOLE_ADMIN_TOKEN: TOKEN });
      const res = await app.inject({
        method: 'POST',
        url: '/api/console/executions',
        payload: { parameters: { data, epochs: 2, 'test-split': 0.25, 'validation-split': 0.25 } },
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.statusCode, res.body).toBe(202);
      const { id } = startRunAnswerSchema.parse(res.json());
      expect(res.headers.location).toBe(`/api/console/executions/${id}`);
      // Answered while the run goes on: its record is there, and says running.
      const detail = executionDetailSchema.parse((await app.inject(`/api/console/executions/${id}`)).json());
      expect(detail.execution.status).toBe('running');
      expect(detail.graph.nodes).toHaveLength(detail.steps.length);
      await app.close();
      const record = await readExecution(openStore(storeDir), id);
      expect(record?.status).toBe('interrupted');
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  }, 60_000);

  it('takes actions only with a JSON body, and without a token only from this machine', async () => {
    const tokened = await consoleApp({ CONSOLE_ADMIN_TOKEN: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    // A cross-site form or no-cors fetch cannot send JSON without a preflight: refused before anything is done.
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}]) {
      const res = await tokened.inject({ method: 'POST', url: '/api/console/models/1/reject', headers: { ...auth, ...headers }, ...(Object.keys(headers).length ? { payload: 'a=b' } : {}) });
      expect([res.statusCode, errorCode(res.body)], JSON.stringify(headers)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    const open = await consoleApp({});
    expect(consoleInfoSchema.parse((await open.inject('/api/console/info')).json()).actions).toBe('open');
    for (const host of ['evil.example:8000', 'rebound.example', '10.0.0.5:8000']) {
      const res = await open.inject({ method: 'POST', url: '/api/console/models/99/approve', payload: {}, headers: { host } });
      expect([res.statusCode, errorCode(res.body)], host).toEqual([403, 'CONSOLE_ACTIONS_OFF']);
    }
    for (const host of ['127.0.0.1:8000', 'localhost:8000', '[::1]:8000', 'localhost']) {
      const res = await open.inject({ method: 'POST', url: '/api/console/models/99/approve', payload: {}, headers: { host } });
      // Past the guard: the registry answers for the unknown version.
      expect([res.statusCode, errorCode(res.body)], host).toEqual([404, 'CONSOLE_VERSION_NOT_FOUND']);
    }
  });

  it('behind a proxy, loopback is not "this machine": off by default, and open mode refuses forwarded or remote requests', async () => {
    // A reverse proxy on this machine forwards to 127.0.0.1 with Host 127.0.0.1: that alone must not open it.
    expect(loadConsoleConfig({ HOST: '127.0.0.1', TRUSTED_PROXIES: '127.0.0.1' })).toMatchObject({ enabled: false, actions: 'off', localOnly: false });
    expect(() => loadConsoleConfig({ HOST: '127.0.0.1', TRUSTED_PROXIES: '127.0.0.1', CONSOLE: 'on' })).toThrow(/CONSOLE_ADMIN_TOKEN/);
    expect(loadConsoleConfig({ HOST: '127.0.0.1' })).toMatchObject({ enabled: true, actions: 'open', localOnly: true });

    const open = await consoleApp({});
    const approve = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
      open.inject({ method: 'POST', url: '/api/console/models/99/approve', payload: {}, headers: { host: '127.0.0.1:8000', ...headers }, remoteAddress });
    // Straight from this machine: past the guard (the registry answers for the unknown version).
    expect((await approve({})).statusCode).toBe(404);
    for (const [why, res] of [
      ['forwarded by a proxy', await approve({ 'x-forwarded-for': '203.0.113.7' })],
      ['Forwarded header', await approve({ forwarded: 'for=203.0.113.7' })],
      ['from another address', await approve({}, '10.0.0.5')],
    ] as const) {
      expect([res.statusCode, errorCode(res.body)], why).toEqual([403, 'CONSOLE_ACTIONS_OFF']);
    }
    // Reads in open mode: this machine yes, a rebound Host no.
    expect((await open.inject({ url: '/api/console/models', headers: { host: 'localhost:8000' } })).statusCode).toBe(200);
    const rebound = await open.inject({ url: '/api/console/models', headers: { host: 'rebound.example:8000' } });
    expect([rebound.statusCode, errorCode(rebound.body)]).toEqual([403, 'CONSOLE_ACTIONS_OFF']);
  });

  it('answers bad input with catalog errors, never a 500', async () => {
    const app = await consoleApp({});
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/api/console/executions/not-an-id', undefined, 400, 'VALIDATION_ERROR'],
      ['GET', '/api/console/executions/20261125-193012-3fa9c1', undefined, 404, 'CONSOLE_EXECUTION_NOT_FOUND'],
      ['GET', '/api/console/executions/20261125-193012-3fa9c1/logs/Train', undefined, 404, 'CONSOLE_LOG_NOT_FOUND'],
      ['GET', '/api/console/executions/20261125-193012-3fa9c1/logs/..%2f..%2fetc', undefined, 400, 'VALIDATION_ERROR'],
      ['GET', '/api/console/models/0', undefined, 400, 'VALIDATION_ERROR'],
      ['GET', '/api/console/models/x', undefined, 400, 'VALIDATION_ERROR'],
      ['GET', '/api/console/models/99', undefined, 404, 'CONSOLE_VERSION_NOT_FOUND'],
      ['GET', '/api/console/models/1/report', undefined, 404, 'CONSOLE_REPORT_NOT_FOUND'],
      ['POST', '/api/console/models/1/promote', {}, 404, 'NOT_FOUND'],
      ['POST', '/api/console/models/99/reject', {}, 404, 'CONSOLE_VERSION_NOT_FOUND'],
      ['POST', '/api/console/models/1/reject', { reason: 'x'.repeat(501) }, 400, 'VALIDATION_ERROR'],
      ['POST', '/api/console/executions', { parameters: { nope: 1 } }, 400, 'CONSOLE_INVALID_PARAMETERS'],
      ['POST', '/api/console/executions', { parameters: { epochs: 'many' } }, 400, 'CONSOLE_INVALID_PARAMETERS'],
      ['POST', '/api/console/executions', { parameters: { data: '/no/such/folder' } }, 400, 'CONSOLE_INVALID_PARAMETERS'],
      ['POST', '/api/console/executions', { parameters: [] }, 400, 'VALIDATION_ERROR'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const res = await app.inject({ method: method as 'GET' | 'POST', url, ...(payload !== undefined ? { payload: payload as object } : {}) });
      expect([res.statusCode, errorCode(res.body)], `${method} ${url} ${res.body}`).toEqual([status, code]);
    }
  });
});
