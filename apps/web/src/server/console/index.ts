import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CONSOLE_MODEL_ACTIONS,
  WEB_ERRORS,
  checkContract,
  modelActionRequestSchema,
  startRunRequestSchema,
  type ConsoleInfo,
  type ModelAction,
} from '@petal/contracts';
import { createErrors } from '@petal/service-kit';
import { bearerMatches } from './auth.js';
import { ConsoleRefusal, type ConsoleBackend, type CreateConsoleBackend } from './backend.js';
import { loadConsoleConfig, type ConsoleConfig } from './config.js';

const fail = createErrors(WEB_ERRORS);

/** Variable, so that compilers and bundlers do not pull the ML packages into a build of the classifier's server. */
const LOCAL_BACKEND = './local-backend.js';

/** The report is a whole generated page: its own inline styles may apply, nothing may run, nothing else is fetched. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;
const LOOPBACK_ADDRESS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const EXECUTION_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;
const STEP_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

export interface ConsoleOptions {
  /** The built UI (dist/client), where the console page is console/index.html. */
  clientDir: string;
  /** Default: the process environment. */
  env?: NodeJS.ProcessEnv;
  /** Default: the local backend, loaded on first use. */
  backend?: CreateConsoleBackend;
  config?: ConsoleConfig;
}

function positiveVersion(raw: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw fail('VALIDATION_ERROR', `"${raw}" is not a version number (1, 2, …)`);
  return Number(raw);
}

/**
 * The MLOps console: its page at /console/ and its API under /api/console. Reads are open or need the
 * admin token (CONSOLE_VIEWS); actions need the token whenever one is configured, and are off on a
 * server that listens beyond loopback without one. With CONSOLE=off none of it exists (404s).
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadConsoleConfig(env);
  const page = join(options.clientDir, 'console', 'index.html');

  if (!config.enabled) {
    // The built page is in the UI folder the static handler serves: hide it too.
    const off = async (_request: FastifyRequest, reply: FastifyReply) => reply.callNotFound();
    app.get('/console', off);
    app.get('/console/*', off);
    return;
  }

  let backend: Promise<ConsoleBackend> | undefined;
  const log = (message: string) => app.log.info({ console: true }, message);
  const getBackend = () =>
    (backend ??= (async () => {
      const create = options.backend ?? ((await import(LOCAL_BACKEND)) as { createConsoleBackend: CreateConsoleBackend }).createConsoleBackend;
      return create(env, log);
    })().catch((err: unknown) => {
      backend = undefined;
      app.log.error({ err }, 'console backend unavailable');
      throw fail('CONSOLE_UNAVAILABLE', 'this server has no pipeline store or model registry to show (the ML workspaces are not part of this build)');
    }));

  app.addHook('onClose', async () => {
    if (backend) await (await backend.catch(() => undefined))?.close();
  });
  app.log.info({ actions: config.actions, viewsNeedToken: config.viewsNeedToken }, 'console on at /console/');

  const requireToken = (request: FastifyRequest, reply: FastifyReply) => {
    if (config.token && bearerMatches(request.headers.authorization, config.token)) return;
    reply.header('www-authenticate', 'Bearer realm="petal-console"');
    throw fail('CONSOLE_UNAUTHORIZED', request.headers.authorization ? 'the admin token is not right' : undefined);
  };
  /**
   * Open mode is for a person on this machine: the request must come from loopback, straight (a proxy
   * would add a forwarding header), and name this machine as its Host (a page on some other name that
   * resolves here, DNS rebinding, arrives with that name).
   */
  const fromThisMachine = (request: FastifyRequest) =>
    LOOPBACK_HOST.test(request.headers.host ?? '') &&
    LOOPBACK_ADDRESS.test(request.socket.remoteAddress ?? '') &&
    request.headers['x-forwarded-for'] === undefined &&
    request.headers.forwarded === undefined;
  const guardRead = async (request: FastifyRequest, reply: FastifyReply) => {
    if (config.viewsNeedToken) return requireToken(request, reply);
    if (config.localOnly && !fromThisMachine(request)) throw fail('CONSOLE_ACTIONS_OFF', 'without an admin token, the console is only shown on this machine (http://127.0.0.1 or http://localhost)');
  };
  const guardAction = async (request: FastifyRequest, reply: FastifyReply) => {
    if (config.actions === 'off') throw fail('CONSOLE_ACTIONS_OFF');
    // A JSON body cannot come from another site's form or a no-cors fetch without a CORS preflight, which
    // this server never grants: with no token to check, that is what keeps other pages from acting.
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      throw fail('UNSUPPORTED_MEDIA_TYPE', 'console actions take a JSON body (Content-Type: application/json)');
    }
    if (config.actions === 'token') return requireToken(request, reply);
    if (!fromThisMachine(request)) {
      throw fail('CONSOLE_ACTIONS_OFF', 'without an admin token, console actions are only taken from this machine (http://127.0.0.1 or http://localhost)');
    }
  };

  /** Backend refusals leave with their catalog code; everything else is the service's 500. */
  const call = async <T>(fn: (b: ConsoleBackend) => Promise<T>): Promise<T> => {
    const b = await getBackend();
    try {
      return await fn(b);
    } catch (err) {
      if (err instanceof ConsoleRefusal) throw fail(err.code, err.message);
      throw err;
    }
  };

  app.get('/console', async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/', async (_request, reply) => {
    if (!existsSync(page)) throw fail('UI_NOT_BUILT');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(await readFile(page));
  });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (_request, reply) => {
        reply.header('cache-control', 'no-store');
      });

      api.get('/info', { preHandler: guardRead }, async (): Promise<ConsoleInfo> => ({ ...(await call((b) => b.info())), actions: config.actions }));

      api.get('/executions', { preHandler: guardRead }, async () => call((b) => b.executions()));

      api.post('/executions', { preHandler: guardAction }, async (request, reply) => {
        const body = checkContract(startRunRequestSchema, request.body ?? {});
        if (!body.ok) throw fail('VALIDATION_ERROR', body.problem);
        const answer = await call((b) => b.startRun(body.value.parameters));
        return reply.code(202).header('location', `/api/console/executions/${answer.id}`).send(answer);
      });

      api.get<{ Params: { id: string } }>('/executions/:id', { preHandler: guardRead }, async (request) => {
        const { id } = request.params;
        if (!EXECUTION_ID.test(id)) throw fail('VALIDATION_ERROR', `"${id}" is not an execution id (like 20261125-193012-3fa9c1)`);
        const detail = await call((b) => b.execution(id));
        if (!detail) throw fail('CONSOLE_EXECUTION_NOT_FOUND', `no execution ${id}`);
        return detail;
      });

      api.get<{ Params: { id: string; step: string } }>('/executions/:id/logs/:step', { preHandler: guardRead }, async (request) => {
        const { id, step } = request.params;
        if (!EXECUTION_ID.test(id) || !STEP_NAME.test(step)) throw fail('VALIDATION_ERROR', 'expected an execution id and a step name');
        const log = await call((b) => b.stepLog(id, step));
        if (!log) throw fail('CONSOLE_LOG_NOT_FOUND', `execution ${id} has no log for ${step}`);
        return log;
      });

      api.get('/models', { preHandler: guardRead }, async () => call((b) => b.models()));

      api.get<{ Params: { version: string } }>('/models/:version', { preHandler: guardRead }, async (request) => {
        const version = positiveVersion(request.params.version);
        const detail = await call((b) => b.model(version));
        if (!detail) throw fail('CONSOLE_VERSION_NOT_FOUND', `no version ${version}`);
        return detail;
      });

      api.get<{ Params: { version: string } }>('/models/:version/report', { preHandler: guardRead }, async (request, reply) => {
        const version = positiveVersion(request.params.version);
        const html = await call((b) => b.report(version));
        if (html === undefined) throw fail('CONSOLE_REPORT_NOT_FOUND', `version ${version} has no evaluation report`);
        return reply.type('text/html; charset=utf-8').header('content-security-policy', REPORT_CSP).send(html);
      });

      api.post<{ Params: { version: string; action: string } }>('/models/:version/:action', { preHandler: guardAction }, async (request) => {
        const { action } = request.params;
        if (!(CONSOLE_MODEL_ACTIONS as readonly string[]).includes(action)) throw fail('NOT_FOUND', `no console action ${action} (approve, reject, deploy)`);
        const version = positiveVersion(request.params.version);
        const body = checkContract(modelActionRequestSchema, request.body ?? {});
        if (!body.ok) throw fail('VALIDATION_ERROR', body.problem);
        return call((b) => b.act(version, action as ModelAction, { by: 'web-console', ...(body.value.reason ? { reason: body.value.reason } : {}) }));
      });
    },
    { prefix: '/api/console' },
  );
}
