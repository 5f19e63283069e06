/**
 * `npm run images:smoke`: the container smoke test (CI runs it when a container engine is there).
 *
 *   1. builds the four images (`npm run images`; the engine's layer cache makes a rebuild quick);
 *   2. runs compose.yaml as it is (docker compose, or podman-compose) on free host ports, waits for the
 *      three services, runs each image's own HEALTHCHECK, and classifies a flower photo through the web
 *      container (POST /classify/image → WAS → endpoint);
 *   3. runs the training image as SageMaker does (`train`, /opt/ml/input/data/train, hyperparameters.json,
 *      /opt/ml/model) on a few photos per class, then the evaluation job in the Processing layout
 *      (`processing`, /opt/ml/processing/...) on the model it wrote;
 *   4. serves that model from the endpoint image (mounted at /opt/ml/model, `serve`) and gets a prediction.
 *
 * The photos come from PETAL_DATA_DIR (default ../shared/datasets/flowers beside the checkout) and are
 * copied into a temporary folder at run time. Every container, the compose project and the temporary
 * folder are removed at the end, pass or fail. Exit status: 0 passed, 1 failed, 2 no container engine.
 *
 * Options: --no-build (use the images already tagged with this commit), --keep (leave the containers).
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyAnswerSchema, endpointPingSchema, invocationAnswerSchema, parseContract } from '@petal/contracts';
import { EVALUATION_FILE, EVALUATION_JSON_PATHS, evaluationDocumentSchema } from '@petal/evaluation';
import { parseManifest } from '@petal/model';
import { DATA_DIR, freePort } from '@petal/stack';
import { buildImages, imageRef, sizeTable, type BuiltImage } from './containers/build.js';
import { IMAGE_NAMES, baseImage, capture, detectEngine, gitTag, run, type Engine } from './containers/engine.js';

const PROJECT = 'petal-smoke';
/** Photos per class for the training run: enough for a train/validation/test split of each class. */
const PHOTOS_PER_CLASS = 8;
const READY_TIMEOUT_MS = 180_000;

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const say = (message: string) => console.log(`[smoke ${elapsed().padStart(5)}] ${message}`);

class SmokeFailure extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SmokeFailure(message);
}

/** Time of each step, for the summary (CI's budget is 30 minutes for everything). */
const steps: Array<{ step: string; seconds: number }> = [];
async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  say(`── ${name}`);
  const t0 = performance.now();
  const result = await body();
  steps.push({ step: name, seconds: (performance.now() - t0) / 1000 });
  return result;
}

async function waitForOk(url: string, what: string, alive: () => void): Promise<Response> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    alive();
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch((err: Error) => {
      last = err.message;
      return undefined;
    });
    if (res?.ok) return res;
    if (res) last = `${res.status} ${await res.text()}`.slice(0, 300);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new SmokeFailure(`${what} (${url}) was not ready within ${READY_TIMEOUT_MS / 1000} s: ${last}`);
}

/** The compose project's container for a service (docker compose and podman-compose both set these labels). */
function composeContainer(engine: Engine, service: string): string {
  const names = capture(engine.name, [
    'ps', '-a', '--format', '{{.Names}}',
    '--filter', `label=com.docker.compose.project=${PROJECT}`,
    '--filter', `label=com.docker.compose.service=${service}`,
  ]).split('\n').filter(Boolean);
  check(names.length === 1, `expected one ${service} container in compose project ${PROJECT}, found ${names.length}`);
  return names[0]!;
}

function isRunning(engine: Engine, container: string): boolean {
  try {
    return capture(engine.name, ['inspect', '--format', '{{.State.Running}}', container]) === 'true';
  } catch {
    return false;
  }
}

function logsOf(engine: Engine, container: string): string {
  try {
    return capture(engine.name, ['logs', '--tail', '40', container]);
  } catch (err) {
    return `(no logs: ${(err as Error).message})`;
  }
}

/** Fails fast, with the container's last words, when it has stopped. */
function assertRunning(engine: Engine, container: string): void {
  if (!isRunning(engine, container)) throw new SmokeFailure(`container ${container} stopped:\n${logsOf(engine, container)}`);
}

/**
 * The image's own HEALTHCHECK command. podman without systemd never schedules health checks, so it is run
 * on demand; Docker runs it by itself and reports the state.
 */
async function assertHealthy(engine: Engine, container: string): Promise<void> {
  if (engine.name === 'podman') {
    await run('podman', ['healthcheck', 'run', container], { quiet: true }).catch(() => {
      throw new SmokeFailure(`the HEALTHCHECK of ${container} failed`);
    });
    return;
  }
  const deadline = Date.now() + 60_000;
  let state = '';
  while (Date.now() < deadline) {
    state = capture('docker', ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', container]);
    if (state === 'healthy') return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new SmokeFailure(`${container} is not healthy by its HEALTHCHECK (state: ${state})`);
}

/** Class folders of the photo set, and the first `count` photos (by name) of each. */
async function photosByClass(count: number): Promise<Map<string, string[]>> {
  const classes = (await readdir(DATA_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  check(classes.length >= 2, `no flower photos at ${DATA_DIR} (set PETAL_DATA_DIR)`);
  const result = new Map<string, string[]>();
  for (const name of classes) {
    const photos = (await readdir(join(DATA_DIR, name))).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort().slice(0, count);
    check(photos.length === count, `${join(DATA_DIR, name)} has fewer than ${count} photos`);
    result.set(name, photos.map((p) => join(DATA_DIR, name, p)));
  }
  return result;
}

async function composeStack(engine: Engine, tag: string, photo: { file: string; label: string }, cleanups: Array<() => Promise<void>>): Promise<void> {
  const compose = engine.compose;
  check(compose, `no compose for ${engine.name}: install the docker compose plugin or podman-compose`);
  const ports = { web: await freePort(), was: await freePort(), endpoint: await freePort() };
  const env = { PETAL_TAG: tag, PETAL_WEB_PORT: String(ports.web), PETAL_WAS_PORT: String(ports.was), PETAL_ENDPOINT_PORT: String(ports.endpoint) };
  const [command, ...prefix] = compose;
  const composeRun = (args: string[]) => run(command!, [...prefix, '-p', PROJECT, '-f', 'compose.yaml', ...args], { env, quiet: true });
  cleanups.push(async () => {
    await composeRun(['down', '--timeout', '5']).catch((err: Error) => say(`compose down: ${err.message}`));
    // podman-compose 1.0 leaves the project's network behind.
    if (engine.name === 'podman') await run('podman', ['network', 'rm', '-f', `${PROJECT}_default`], { quiet: true }).catch(() => undefined);
  });

  await step(`compose up (${compose.join(' ')}; web :${ports.web}, WAS :${ports.was}, endpoint :${ports.endpoint})`, async () => {
    // --no-build: the images were just built and tagged; compose must not build them a second way.
    await composeRun(['up', '-d', ...(engine.name === 'docker' ? ['--no-build'] : [])]);
  });
  const containers = { endpoint: composeContainer(engine, 'endpoint'), was: composeContainer(engine, 'was'), web: composeContainer(engine, 'web') };
  const allAlive = () => Object.values(containers).forEach((c) => assertRunning(engine, c));

  await step('stack ready: endpoint /ping, WAS /health/ready, web /api/status, and every HEALTHCHECK', async () => {
    const ping = parseContract(endpointPingSchema, await (await waitForOk(`http://127.0.0.1:${ports.endpoint}/ping`, 'endpoint', allAlive)).json(), '/ping');
    say(`endpoint serves ${ping.model?.name}@${ping.model?.version}`);
    await waitForOk(`http://127.0.0.1:${ports.was}/health/ready`, 'WAS readiness (reaches the endpoint by name)', allAlive);
    const status = (await (await waitForOk(`http://127.0.0.1:${ports.web}/api/status`, 'web status', allAlive)).json()) as Record<string, { state?: string }>;
    check(status.was?.state === 'up' && status.endpoint?.state === 'up', `web /api/status does not see the chain up: ${JSON.stringify(status)}`);
    for (const c of Object.values(containers)) await assertHealthy(engine, c);
    for (const [service, c] of Object.entries(containers)) {
      // Non-root: the images run as the base image's `node` user.
      const user = capture(engine.name, ['exec', c, 'id', '-un']);
      check(user === 'node', `${service} runs as ${user}, not node`);
    }
  });

  await step(`classify ${basename(photo.file)} (${photo.label}) through the web container`, async () => {
    const form = new FormData();
    form.append('file', new Blob([await readFile(photo.file)], { type: 'image/jpeg' }), basename(photo.file));
    const res = await fetch(`http://127.0.0.1:${ports.web}/classify/image`, { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) });
    const body: unknown = await res.json();
    check(res.status === 200, `POST /classify/image answered ${res.status}: ${JSON.stringify(body)}`);
    const answer = parseContract(classifyAnswerSchema, body, 'POST /classify/image');
    const top = answer.top[0];
    say(`web → WAS → endpoint: ${top?.key} (p=${top?.probability.toFixed(3)}), verdict ${answer.verdict}, model ${answer.model.name}@${answer.model.version}`);
    check(top?.key === photo.label, `the photo of a ${photo.label} was classified as ${top?.key}`);
  });
}

async function trainAndServe(engine: Engine, tag: string, photos: Map<string, string[]>, work: string, cleanups: Array<() => Promise<void>>): Promise<void> {
  const version = `smoke-${Date.now()}`;
  // The SageMaker training layout: /opt/ml/input/{config,data/<channel>}, /opt/ml/model, /opt/ml/output.
  const ml = join(work, 'training');
  await step(`training data: ${PHOTOS_PER_CLASS} photos of each of ${photos.size} classes in /opt/ml/input/data/train`, async () => {
    for (const [label, files] of photos) {
      const dir = join(ml, 'input/data/train', label);
      await mkdir(dir, { recursive: true });
      for (const file of files) await cp(file, join(dir, basename(file)));
    }
    await mkdir(join(ml, 'input/config'), { recursive: true });
    await mkdir(join(ml, 'model'), { recursive: true });
    await mkdir(join(ml, 'output'), { recursive: true });
    // As SageMaker writes them: every value a string.
    const hyperparameters = { epochs: '40', augment: '0', 'validation-split': '0.25', 'test-split': '0.25', 'model-version': version };
    await writeFile(join(ml, 'input/config/hyperparameters.json'), JSON.stringify(hyperparameters));
  });

  const trainer = `${PROJECT}-training`;
  cleanups.push(() => run(engine.name, ['rm', '-f', trainer], { quiet: true }).catch(() => undefined));
  await step('training job: `train` in the training image', async () => {
    await run(engine.name, [
      'run', '--name', trainer,
      '-v', `${join(ml, 'input')}:/opt/ml/input:ro`,
      '-v', `${join(ml, 'model')}:/opt/ml/model`,
      '-v', `${join(ml, 'output')}:/opt/ml/output`,
      imageRef('training', tag), 'train',
    ]).catch(async (err: Error) => {
      const failure = await readFile(join(ml, 'output/failure'), 'utf8').catch(() => '(no /opt/ml/output/failure)');
      throw new SmokeFailure(`${err.message}\nfailure reason: ${failure}`);
    });
    await run(engine.name, ['rm', '-f', trainer], { quiet: true });
    // The image starts as root (SageMaker's way); its entry point runs every command as `node`.
    const user = capture(engine.name, ['run', '--rm', imageRef('training', tag), 'id', '-un']);
    check(user === 'node', `the training image runs its job as ${user}, not node`);
    const manifest = parseManifest(JSON.parse(await readFile(join(ml, 'model/manifest.json'), 'utf8')), 'the trained model');
    check(manifest.version === version, `the trained model is version ${manifest.version}, not the ${version} its hyperparameters asked for`);
    const labels = manifest.labels.map((l) => l.key).sort();
    check(JSON.stringify(labels) === JSON.stringify([...photos.keys()]), `the trained model's labels are ${labels.join(', ')}`);
    say(`model ${manifest.name}@${manifest.version} written to /opt/ml/model (${labels.join(', ')})`);
  });

  // The Processing layout: inputs model and data, output evaluation, the job config's presence.
  const processing = join(work, 'processing');
  const evaluator = `${PROJECT}-evaluation`;
  cleanups.push(() => run(engine.name, ['rm', '-f', evaluator], { quiet: true }).catch(() => undefined));
  await step('evaluation job: `processing` in the training image', async () => {
    await mkdir(join(processing, 'config'), { recursive: true });
    await mkdir(join(processing, 'output/evaluation'), { recursive: true });
    await writeFile(join(processing, 'config/processingjobconfig.json'), JSON.stringify({ ProcessingJobName: 'petal-smoke' }));
    await run(engine.name, [
      'run', '--name', evaluator,
      '-v', `${join(ml, 'model')}:/opt/ml/processing/input/model:ro`,
      '-v', `${join(ml, 'input/data/train')}:/opt/ml/processing/input/data:ro`,
      '-v', `${join(processing, 'config')}:/opt/ml/config:ro`,
      '-v', `${join(processing, 'output/evaluation')}:/opt/ml/processing/output/evaluation`,
      imageRef('training', tag), 'processing',
    ]);
    await run(engine.name, ['rm', '-f', evaluator], { quiet: true });
    const doc = evaluationDocumentSchema.parse(JSON.parse(await readFile(join(processing, 'output/evaluation', EVALUATION_FILE), 'utf8')));
    const accuracy = EVALUATION_JSON_PATHS.accuracy.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
    check(typeof accuracy === 'number', `evaluation.json has no number at ${EVALUATION_JSON_PATHS.accuracy}`);
    check(doc.model.version === version, `evaluation.json scores ${doc.model.version}, not the trained ${version}`);
    say(`evaluation.json: accuracy ${accuracy.toFixed(3)} on the held-out photos of ${doc.model.name}@${doc.model.version}`);
  });

  const server = `${PROJECT}-endpoint`;
  cleanups.push(() => run(engine.name, ['rm', '-f', server], { quiet: true }).catch(() => undefined));
  await step('serve the trained model from the endpoint image (/opt/ml/model, `serve`)', async () => {
    const port = await freePort();
    await run(engine.name, ['run', '-d', '--name', server, '-p', `127.0.0.1:${port}:8080`, '-v', `${join(ml, 'model')}:/opt/ml/model:ro`, imageRef('endpoint', tag), 'serve'], { quiet: true });
    const ping = parseContract(endpointPingSchema, await (await waitForOk(`http://127.0.0.1:${port}/ping`, 'endpoint with the trained model', () => assertRunning(engine, server))).json(), '/ping');
    check(ping.model?.version === version, `the endpoint serves ${JSON.stringify(ping.model)}, not the trained model mounted at /opt/ml/model`);
    const [label, files] = [...photos][0]!;
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', accept: 'application/json' },
      body: await readFile(files[0]!),
      signal: AbortSignal.timeout(60_000),
    });
    const body: unknown = await res.json();
    check(res.status === 200, `POST /invocations answered ${res.status}: ${JSON.stringify(body)}`);
    const answer = parseContract(invocationAnswerSchema, body, 'POST /invocations');
    const row = answer.predictions[0]!;
    check(row.length === photos.size && answer.labels?.length === photos.size, `the answer has ${row.length} probabilities for ${photos.size} classes`);
    const best = answer.labels![row.indexOf(Math.max(...row))];
    check(answer.model?.version === version, `answered by ${JSON.stringify(answer.model)}, not the trained model`);
    say(`/invocations: ${best} (p=${Math.max(...row).toFixed(3)}) for a photo labelled ${label}, by ${answer.model.name}@${answer.model.version}`);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'no-build': { type: 'boolean' }, keep: { type: 'boolean' } } });
  const engine = detectEngine();
  if (!engine) {
    console.error('images:smoke: no container engine (a Docker daemon or podman); nothing tested');
    process.exit(2);
  }
  const tag = gitTag();
  say(`engine ${engine.name}, compose ${engine.compose?.join(' ') ?? 'none'}, images :${tag}, photos from ${DATA_DIR}`);
  const cleanups: Array<() => Promise<void>> = [];
  const work = await mkdtemp(join(tmpdir(), 'petal-smoke-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  let built: BuiltImage[] = [];
  try {
    if (!values['no-build']) {
      built = await step('build the images', () => buildImages(engine, IMAGE_NAMES, tag, (line) => say(line)));
    }
    const photos = await photosByClass(PHOTOS_PER_CLASS);
    const [label, files] = [...photos].at(-1)!;
    await composeStack(engine, tag, { file: files.at(-1)!, label }, cleanups);
    await trainAndServe(engine, tag, photos, work, cleanups);
  } finally {
    if (values.keep) say(`--keep: left the containers of ${PROJECT} and ${work}`);
    else {
      say('cleaning up');
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  }
  if (built.length) console.log(`\n${sizeTable(built, baseImage())}`);
  console.log(`\n| step | seconds |\n| --- | --- |\n${steps.map((s) => `| ${s.step} | ${s.seconds.toFixed(0)} |`).join('\n')}`);
  say('passed');
}

main().catch((err: unknown) => {
  say(`FAILED: ${err instanceof SmokeFailure ? err.message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
});
