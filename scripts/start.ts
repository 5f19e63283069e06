/**
 * `npm start`: runs the whole of Petal on one machine from source (no build step, no cloud): the services
 * @petal/stack describes — the model endpoint (:8080), the WAS (:8081) pointed at it through the
 * sagemaker-runtime API, and the web app (:8000) pointed at the WAS — each wired to the others as the
 * description says. Each child's output is prefixed with its name; the script waits until every service
 * is ready, prints the URL, stops everything on Ctrl-C / SIGTERM, and if any child dies it says which and
 * how, stops the others and exits non-zero.
 *
 * Ports: PETAL_ENDPOINT_PORT, PETAL_WAS_PORT, PETAL_WEB_PORT (defaults 8080, 8081, 8000). Everything else
 * in the environment (MODEL_DIR, LOG_LEVEL, CONFIDENCE_THRESHOLD, ...) is passed through to the children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { LISTEN_ENV, REPO_ROOT, SERVICES, launchArgs, loopbackUrl, repoPath, startOrder, wiringEnv, type ServiceName } from '@petal/stack';

interface ServiceSpec {
  name: ServiceName;
  port: number;
  readyPath: string;
  env: Record<string, string>;
  color: number;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const COLORS: Record<ServiceName, number> = { endpoint: 35, was: 36, web: 33 };

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`start: ${name} must be a TCP port (1-65535), not "${raw}"\n`);
    process.exit(2);
  }
  return port;
}

const startupTimeoutMs = Number(process.env.PETAL_STARTUP_TIMEOUT_MS ?? 180_000);
const stopTimeoutMs = Number(process.env.PETAL_STOP_TIMEOUT_MS ?? 20_000);
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (color: number, text: string) => (useColor ? `\x1b[${color}m${text}\x1b[0m` : text);
const say = (message: string) => process.stdout.write(`${paint(1, '[start]')} ${message}\n`);

/**
 * The WAS believes the client address the web BFF names only from the BFF's address, which here is
 * loopback; without it every browser would share the WAS's one rate-limit bucket.
 */
const proxyEnv = (name: ServiceName): Record<string, string> => (name === 'was' ? { TRUSTED_PROXIES: process.env.WAS_TRUSTED_PROXIES ?? '127.0.0.1' } : {});

function services(): ServiceSpec[] {
  const order = startOrder();
  const ports = Object.fromEntries(
    order.map((name) => [name, portFromEnv(`PETAL_${name.toUpperCase()}_PORT`, SERVICES[name].port)]),
  ) as Record<ServiceName, number>;
  const urls = Object.fromEntries(order.map((name) => [name, loopbackUrl(ports[name])]));
  return order.map((name) => ({
    name,
    port: ports[name],
    readyPath: SERVICES[name].readyPath,
    env: { ...wiringEnv(name, urls), ...proxyEnv(name), [LISTEN_ENV.port]: String(ports[name]) },
    color: COLORS[name],
  }));
}

const nodeMajor = Number(process.versions.node.split('.')[0]);

/**
 * The children write to our pipes, not to the terminal, so they cannot see that a person is reading:
 * tell them (pino-pretty lines, in colour) unless LOG_FORMAT says otherwise. JSON stays the default
 * anywhere else (CI, a redirect, containers).
 */
const childLogEnv: Record<string, string> = {
  LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  ...(useColor && process.env.FORCE_COLOR === undefined ? { FORCE_COLOR: '1' } : {}),
  // The AWS SDK's nine-line Node-version warning, once per service: said once, in one line, below instead.
  ...(nodeMajor < 22 ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } : {}),
};

function pipeWithPrefix(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WritableStream): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function start(spec: ServiceSpec): Running {
  const child = spawn(process.execPath, launchArgs(spec.name), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...childLogEnv, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = paint(spec.color, `[${spec.name}]`);
  pipeWithPrefix(child.stdout, prefix, process.stdout);
  pipeWithPrefix(child.stderr, prefix, process.stderr);
  // 'close' (not 'exit') so the child's last words are printed before we report its death.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => done({ code, signal })),
  );
  child.once('error', (err) => say(`${spec.name}: could not start: ${err.message}`));
  say(`${spec.name}: pid ${child.pid}, port ${spec.port}`);
  return { spec, child, exited };
}

const isAlive = (r: Running) => r.child.exitCode === null && r.child.signalCode === null;

async function answersOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Newest modification time under a path (files only), 0 when it does not exist. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(resolve(path, entry))), 0);
}

/**
 * The web UI is a Vite bundle the web server serves from apps/web/dist/client; build it (offline) when it
 * is missing or older than its sources, so `npm start` works straight after `npm install`.
 */
async function buildWebUiIfStale(): Promise<void> {
  const web = repoPath('apps/web');
  if (process.env.PETAL_SKIP_BUILD === '1') return;
  const built = newestMtime(resolve(web, 'dist/client/index.html'));
  const sources = Math.max(newestMtime(resolve(web, 'src/client')), newestMtime(resolve(web, 'public')), newestMtime(resolve(web, 'vite.config.ts')));
  if (built > 0 && built >= sources) return;
  say(built === 0 ? 'building the web UI (first run)' : 'web UI sources changed; rebuilding it');
  const child = spawn(process.execPath, [repoPath('node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: web,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeWithPrefix(child.stdout, '[build]', process.stdout);
  pipeWithPrefix(child.stderr, '[build]', process.stderr);
  const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)));
  if (code !== 0) {
    say(`building the web UI failed (exit code ${code}); fix it or run with PETAL_SKIP_BUILD=1`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  if (nodeMajor < 22) say(`Node ${process.versions.node} is past its end of life; Petal runs on Node 22 and 24 too, and the AWS SDK will soon need 22`);
  await buildWebUiIfStale();
  const specs = services();
  const running: Running[] = [];
  let stopping = false;

  const stopAll = async (exitCode: number, reason: string): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say(`${reason}; stopping ${running.filter(isAlive).map((r) => r.spec.name).join(', ') || 'nothing'}`);
      for (const r of running) if (isAlive(r)) r.child.kill('SIGTERM');
      const killer = setTimeout(() => {
        for (const r of running) {
          if (!isAlive(r)) continue;
          say(`${r.spec.name} did not stop within ${stopTimeoutMs} ms; killing it`);
          r.child.kill('SIGKILL');
        }
      }, stopTimeoutMs);
      await Promise.all(running.map((r) => r.exited));
      clearTimeout(killer);
      say('all services stopped');
      process.exit(exitCode);
    }
    return new Promise<never>(() => undefined);
  };

  process.on('SIGINT', () => void stopAll(0, 'SIGINT received'));
  process.on('SIGTERM', () => void stopAll(0, 'SIGTERM received'));
  process.on('SIGHUP', () => void stopAll(0, 'SIGHUP received'));

  for (const spec of specs) {
    const r = start(spec);
    running.push(r);
    void r.exited.then(({ code, signal }) => {
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      void stopAll(1, `${spec.name} (pid ${r.child.pid}) exited unexpectedly with ${how}`);
    });
  }

  const deadline = Date.now() + startupTimeoutMs;
  const pending = new Set(running);
  while (pending.size > 0 && !stopping) {
    for (const r of [...pending]) {
      if (await answersOk(`${loopbackUrl(r.spec.port)}${r.spec.readyPath}`)) {
        say(`${r.spec.name} is ready`);
        pending.delete(r);
      }
    }
    if (pending.size === 0 || stopping) break;
    if (Date.now() > deadline) {
      await stopAll(1, `not ready after ${startupTimeoutMs} ms: ${[...pending].map((r) => r.spec.name).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (stopping) return;

  const web = running.find((r) => r.spec.name === 'web');
  const was = running.find((r) => r.spec.name === 'was');
  const url = web ? `http://localhost:${web.spec.port}` : was ? `http://localhost:${was.spec.port}/docs` : '(nothing to open)';
  say(paint(32, `Petal is up: ${url}`) + (was ? `  (API docs: http://localhost:${was.spec.port}/docs)` : '') + '  Ctrl-C stops everything.');
}

main().catch((err: unknown) => {
  process.stderr.write(`start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
