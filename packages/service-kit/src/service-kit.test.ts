import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, HttpError, installErrorHandler, loadConfig, portVar, registerHttpMetrics, serverOptions } from './index.js';

describe('loadConfig', () => {
  it('names the variable that is wrong', () => {
    const schema = z.object({ PORT: portVar(8080) });
    expect(loadConfig(schema, {}).PORT).toBe(8080);
    expect(() => loadConfig(schema, { PORT: 'eighty' })).toThrowError(ConfigError);
    expect(() => loadConfig(schema, { PORT: '70000' })).toThrowError(/PORT/);
  });
});

describe('error handler and metrics', () => {
  const app = Fastify(serverOptions('test', { logger: false }));
  afterEach(async () => undefined);

  it('maps errors to JSON bodies and counts requests', async () => {
    installErrorHandler(app);
    registerHttpMetrics(app, 'test');
    app.get('/teapot', async () => {
      throw new HttpError(418, 'TEAPOT', 'short and stout', { 'retry-after': '1' });
    });
    app.get('/boom', async () => {
      throw new Error('secret internals');
    });
    app.post('/json', async (req) => req.body);
    const teapot = await app.inject('/teapot');
    expect(teapot.statusCode).toBe(418);
    expect(teapot.headers['retry-after']).toBe('1');
    expect(teapot.json()).toEqual({ error: { code: 'TEAPOT', message: 'short and stout' } });
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('secret');
    const bad = await app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBeTypeOf('string');
    const missing = await app.inject('/nope?x=1');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe('no route for GET /nope');
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toMatch(/test_http_requests_total\{method="GET",route="\/teapot",status="418"\} 1/);
    await app.close();
  });
});
