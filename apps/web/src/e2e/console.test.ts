import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { endpointModelsSchema, executionDetailSchema, startRunAnswerSchema } from '@petal/contracts';
import { makeImageFolder, THREE_COLOURS } from '@petal/evaluation/testing';
import { flowerPipeline } from '@petal/pipeline';
import { freePort, hasModelAt } from '@petal/stack';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, MODEL_DIR, REPO_ROOT, startStack, type RunningStack } from './stack.js';

// The MLOps console in a real browser against the real stack: the endpoint with the shipped model (and
// its admin API, so a deployment swaps the model it serves), the WAS, and the BFF serving fresh production
// builds of both pages with the console on, an admin token, and a temporary artifact store holding the
// pipeline's records and the local model registry. The pipeline run is the real local executor training
// and evaluating on a tiny generated image set (three colours), so it finishes in seconds.
const SKIP = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PETAL_CHROMIUM)`
  : !hasModelAt(MODEL_DIR)
    ? `no model at ${MODEL_DIR} for the endpoint`
    : '';
if (SKIP) console.warn(`[console e2e] skipped: ${SKIP}`);

const SHOTS = resolve(REPO_ROOT, 'test-artifacts/screenshots/console');
const ADMIN_TOKEN = randomBytes(18).toString('base64url');
const ENDPOINT_TOKEN = randomBytes(18).toString('base64url');
const WIDTHS = [390, 1280] as const;

describe.skipIf(SKIP !== '')('the MLOps console in a real browser', () => {
  let stack: RunningStack | undefined;
  let browser: Browser;
  let base = '';
  let endpoint = '';
  const temp: string[] = [];
  let data = '';
  let executionId = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    const [clientDir, storeDir, deployDir] = await Promise.all(['client', 'store', 'deployments'].map((n) => mkdtemp(join(tmpdir(), `petal-console-e2e-${n}-`))));
    temp.push(clientDir!, storeDir!, deployDir!);
    // 24 a class: with fewer, the two or three validation photos a class make the pipeline's in-scope
    // flower-rate gate a coin toss.
    data = await makeImageFolder(THREE_COLOURS, 24);
    temp.push(data);
    // Both builds, as `npm run build -w @petal/web` makes them: the classifier's, then the console's beside it.
    await build({ configFile: resolve(REPO_ROOT, 'apps/web/vite.config.ts'), logLevel: 'warn', build: { outDir: clientDir, emptyOutDir: true, sourcemap: false } });
    await build({ configFile: resolve(REPO_ROOT, 'apps/web/src/console/vite.config.ts'), logLevel: 'warn', build: { outDir: clientDir, emptyOutDir: false } });

    // The endpoint's port is chosen here so the BFF's deployer can be told where to swap models.
    const endpointPort = await freePort();
    stack = await startStack({
      env: {
        endpoint: { MODEL_DIR, PORT: String(endpointPort), ADMIN_TOKEN: ENDPOINT_TOKEN },
        was: { RATE_LIMIT_MAX: '10000', DOCS_ENABLED: 'false' },
        web: {
          CLIENT_DIR: clientDir!,
          CONSOLE: 'on',
          CONSOLE_ADMIN_TOKEN: ADMIN_TOKEN,
          PETAL_STORE: storeDir!,
          PETAL_REGISTRY: 'local',
          PETAL_REGISTRY_HOOK: '',
          PETAL_ENDPOINT_URL: `http://127.0.0.1:${endpointPort}`,
          ADMIN_TOKEN: ENDPOINT_TOKEN,
          PETAL_DEPLOY_DIR: deployDir!,
        },
      },
    });
    base = stack.urls.web;
    endpoint = stack.urls.endpoint;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    for (const dir of temp) await rm(dir, { recursive: true, force: true });
  });

  async function openConsole(locale: 'en' | 'ko', width: number, hash = ''): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ locale, viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    // The refusals this test provokes on purpose (401) are expected; any other failed request is not.
    page.on('response', (res) => {
      if (res.status() >= 400 && res.status() !== 401) pageErrors.push(`${res.status()} ${new URL(res.url()).pathname}`);
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) pageErrors.push(msg.text());
    });
    await page.goto(`${base}/console/${hash}`);
    await page.locator(hash.startsWith('#models') ? '[data-testid="models-view"]' : '[data-testid="pipeline-view"]').waitFor();
    return { page, context };
  }

  async function shot(page: Page, name: string) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, name), fullPage: true });
  }

  const served = async () => endpointModelsSchema.parse(await (await fetch(`${endpoint}/models`)).json()).model;

  async function useToken(page: Page, token: string) {
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-use').click();
    await page.getByTestId('token-set').waitFor();
  }

  it('does not load any console code on the classifier page; the console page ships compressed', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('request', (req) => {
      if (req.resourceType() === 'script' || req.resourceType() === 'stylesheet') scripts.push(new URL(req.url()).pathname);
    });
    await page.goto(base);
    await page.waitForLoadState('networkidle');
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((s) => /console/.test(s))).toEqual([]);
    await context.close();

    // The console's own script goes out compressed, as the classifier's does.
    const html = await (await fetch(`${base}/console/`)).text();
    const script = /src="(\/assets\/console-[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const res = await fetch(`${base}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('starts a pipeline run from the console (refused without the admin token), which appears with its step graph and finishes', async () => {
    const { page, context } = await openConsole('en', 1280);
    await page.getByTestId('no-executions').waitFor();
    await shot(page, 'pipeline-empty-en-1280.png');

    await page.getByTestId('param-data').fill(data);
    await page.getByTestId('param-max-iterations').fill('20');
    await page.locator('.c-more summary').first().click();
    for (const [name, value] of [['augment', '1'], ['test-split', '0.25'], ['validation-split', '0.25']] as const) await page.getByTestId(`param-${name}`).fill(value);

    // Without the token the server refuses, and nothing starts.
    await page.getByTestId('start-run').click();
    const refused = page.getByTestId('start-error');
    await refused.waitFor();
    expect(await refused.getAttribute('data-kind')).toBe('unauthorized');
    expect(await refused.textContent()).toContain('admin token');
    await shot(page, 'pipeline-refused-en-1280.png');
    expect((await (await fetch(`${base}/api/console/executions`)).json()) as unknown).toEqual({ executions: [] });

    await useToken(page, ADMIN_TOKEN);
    await page.getByTestId('start-run').click();
    const detail = page.getByTestId('execution-detail');
    await detail.waitFor();
    executionId = (await detail.locator('h3 code').textContent())!;
    expect(executionId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(page.url()).toContain(`#pipeline/${executionId}`);

    // The graph: every step of the pipeline, drawn while the run goes on.
    const nodes = page.getByTestId('graph-node');
    await expect.poll(() => nodes.count()).toBe(flowerPipeline.steps.length);
    await expect.poll(() => page.locator('[data-testid="graph-node"][data-step="Train"]').getAttribute('data-status'), { timeout: 30_000 }).toMatch(/running|succeeded/);
    await shot(page, 'pipeline-running-en-1280.png');

    await expect.poll(() => detail.getAttribute('data-status'), { timeout: 180_000, interval: 1000 }).not.toBe('running');
    expect(await detail.getAttribute('data-status'), await detail.textContent() ?? '').toBe('succeeded');
    const statusOf = async (step: string) => page.locator(`[data-testid="graph-node"][data-step="${step}"]`).getAttribute('data-status');
    expect(await statusOf('Train')).toBe('succeeded');
    expect(await statusOf('RegisterModel')).toBe('succeeded');
    expect(await statusOf('RejectedBelowThreshold')).toBe('skipped');
    expect(await statusOf('Deploy')).toBe('skipped'); // registered PendingManualApproval: a person decides
    // The numbers the quality gate read, beside the accuracy.
    for (const id of ['in-scope-flower-rate', 'out-of-scope-detection']) expect(await detail.getByTestId(id).textContent(), id).toMatch(/\d/);
    // Per-step timings in the table, and the list row with its parameters.
    expect(await page.locator('[data-testid="step-row"][data-step="Train"] .c-num').textContent()).toMatch(/\d/);
    const row = page.locator(`[data-testid="execution-row"][data-id="${executionId}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('succeeded');
    expect(await row.textContent()).toContain('max-iterations=20');

    // The Train step's log, from the store.
    await page.locator('[data-testid="step-row"][data-step="Train"] [data-testid="show-log"]').click();
    await expect.poll(() => page.getByTestId('step-log').locator('pre').textContent(), { timeout: 10_000 }).toMatch(/epoch/i);
    await shot(page, 'pipeline-succeeded-en-1280.png');
    await context.close();
  }, 240_000);

  it('approves and deploys the registered version from the Models view with the admin token, and refuses both without it', async () => {
    expect(executionId, 'the pipeline test registers the version').not.toBe('');
    const { page, context } = await openConsole('en', 1280, '#models');
    const v1 = page.locator('[data-testid="version-row"][data-version="1"]');
    await v1.waitFor();
    expect(await v1.getByTestId('approval').getAttribute('data-approval')).toBe('PendingManualApproval');

    // No token: the buttons are there, the server says no, nothing changes.
    await v1.getByTestId('action-approve').click();
    const refused = page.getByTestId('action-error');
    await refused.waitFor();
    expect(await refused.getAttribute('data-kind')).toBe('unauthorized');
    await shot(page, 'models-refused-en-1280.png');
    expect(await v1.getByTestId('approval').getAttribute('data-approval')).toBe('PendingManualApproval');
    const refusedDeploy = await fetch(`${base}/api/console/models/1/deploy`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' }, body: '{}' });
    expect(refusedDeploy.status).toBe(401);
    const before = await served();

    await useToken(page, ADMIN_TOKEN);
    await v1.getByTestId('action-approve').click();
    await expect.poll(() => v1.getByTestId('approval').getAttribute('data-approval')).toBe('Approved');
    await v1.getByTestId('action-deploy').click();
    const outcome = page.getByTestId('action-outcome');
    await expect.poll(() => outcome.textContent(), { timeout: 60_000 }).toContain('deployed');
    expect(await outcome.getAttribute('class')).toBe('c-ok');
    await v1.getByTestId('deployed-badge').waitFor();
    expect(await page.getByTestId('deployed-now').textContent()).toContain('Version 1 is deployed');

    // The endpoint now serves the registered version.
    const after = await served();
    expect(after).toMatchObject({ name: 'flower-classifier', version: '1', labels: Object.keys(THREE_COLOURS).sort() });
    expect(after?.labels).not.toEqual(before?.labels);

    await v1.getByTestId('version-details').click();
    const matrix = page.getByTestId('confusion-matrix');
    await matrix.waitFor();
    expect(await matrix.locator('tbody tr').count()).toBe(Object.keys(THREE_COLOURS).length);
    await shot(page, 'models-deployed-en-1280.png');
    await context.close();
  }, 120_000);

  it('rolls back from the Models view: a second run deploys version 2, and version 1 is put back', async () => {
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` };
    const parameters = { data, 'max-iterations': 20, augment: 1, 'test-split': 0.25, 'validation-split': 0.25, approval: 'Approved' };
    const started = await fetch(`${base}/api/console/executions`, { method: 'POST', headers: auth, body: JSON.stringify({ parameters }) });
    expect(started.status).toBe(202);
    const { id } = startRunAnswerSchema.parse(await started.json());
    await expect
      .poll(async () => executionDetailSchema.parse(await (await fetch(`${base}/api/console/executions/${id}`)).json()).execution.status, { timeout: 180_000, interval: 1000 })
      .not.toBe('running');
    const run = executionDetailSchema.parse(await (await fetch(`${base}/api/console/executions/${id}`)).json());
    expect(run.execution.status, run.execution.message).toBe('succeeded');
    expect(run.steps.find((s) => s.name === 'Deploy')?.status).toBe('succeeded');
    expect((await served())?.version).toBe('2');

    const { page, context } = await openConsole('en', 1280, '#models');
    await useToken(page, ADMIN_TOKEN);
    const v1 = page.locator('[data-testid="version-row"][data-version="1"]');
    await page.locator('[data-testid="version-row"][data-version="2"] [data-testid="deployed-badge"]').waitFor();
    const rollback = v1.getByTestId('action-deploy');
    expect(await rollback.textContent()).toBe('Roll back to this');
    await shot(page, 'models-two-versions-en-1280.png');
    await rollback.click();
    await v1.getByTestId('deployed-badge').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('deployed-now').textContent()).toContain('Version 1 is deployed');
    expect((await served())?.version).toBe('1');
    await context.close();
  }, 240_000);

  it('draws its main states in both languages at 390 and 1280 px', async () => {
    expect(executionId).not.toBe('');
    // Nothing wider than the screen but the graph and tables, which scroll in their own boxes.
    const overflowOf = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    const overflows: [string, number][] = [];
    for (const lang of ['en', 'ko'] as const) {
      for (const width of WIDTHS) {
        const { page, context } = await openConsole(lang, width, `#pipeline/${executionId}`);
        await expect.poll(() => page.getByTestId('graph-node').count()).toBe(flowerPipeline.steps.length);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        await shot(page, `pipeline-${lang}-${width}.png`);
        overflows.push([`${lang} ${width} pipeline`, await overflowOf(page)]);

        await page.goto(`${base}/console/#models/1`);
        await page.getByTestId('confusion-matrix').waitFor();
        await shot(page, `models-${lang}-${width}.png`);
        overflows.push([`${lang} ${width} models`, await overflowOf(page)]);
        await context.close();
      }
    }
    expect(overflows.filter(([, px]) => px > 0)).toEqual([]);
    const files = await readdir(SHOTS);
    for (const f of files.filter((n) => n.endsWith('.png'))) expect((await stat(join(SHOTS, f))).size).toBeGreaterThan(5_000);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
