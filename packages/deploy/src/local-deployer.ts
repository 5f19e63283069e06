/**
 * Deploys a registered version into the running local endpoint: copy the artifact under the registered
 * identity, swap it in through the admin API (the endpoint loads and warms it beside the old model and
 * switches without dropping a request), smoke-test it, and swap the previous model back if any smoke
 * photo comes back wrong.
 */
import { rm } from 'node:fs/promises';
import type { ModelSwapAnswer, ServedModel } from '@petal/contracts';
import { localPathOf, type ArtifactDownloader } from './artifact-download.js';
import { prepareDeployCopy, pruneDeployCopies } from './deploy-copy.js';
import { registeredIdentity, servedIdentity, type DeployablePackage, type Deployer, type DeployOutcome, type RegisteredIdentity } from './deploy-target.js';
import { EndpointCallError, EndpointClient } from './endpoint-client.js';
import { DEFAULT_SMOKE_PER_CLASS, SmokeSetError, evaluationMistakes, heldOutSmokeSet, type SmokeCase } from './smoke-set.js';
import { describeSmokeFailures, runSmokeTest, type SmokeReport } from './smoke-test.js';

/** Where a deploy's smoke cases come from, given the version and its deploy copy. */
export type SmokeSource = (context: { pkg: DeployablePackage; modelDir: string }) => Promise<SmokeCase[]>;

export interface LocalDeployerOptions {
  endpointUrl: string;
  /** Bearer token of the endpoint's admin API (its ADMIN_TOKEN); without one the endpoint only takes loopback calls. */
  adminToken?: string;
  /** Where deploy copies live; the endpoint reads them from here, so it must see this folder. */
  deployRoot: string;
  /** Explicit cases, or a source; default: the deploy copy's held-out split (see `heldOutSmokeSet`). */
  smoke?: readonly SmokeCase[] | SmokeSource;
  /** Data root of the held-out photos, for the default smoke source. */
  smokeDataRoot?: string;
  smokePerClass?: number;
  /** Fetches s3:// artifacts; `createDeployer` passes `storeDownloader()` (`@petal/store`). */
  download?: ArtifactDownloader;
  /** How long to keep retrying while another swap is in progress. */
  swapBusyWaitMs?: number;
  /** Progress lines for a person (the pipeline's step log). */
  log?: (line: string) => void;
}

export interface LocalDeployTimings {
  copyMs: number;
  swapMs?: number;
  smokeMs?: number;
  rollbackMs?: number;
}

/** The Deployer's answer plus what a person or a benchmark wants to see of how it went. */
export interface LocalDeployResult extends DeployOutcome {
  timings: LocalDeployTimings;
  smoke?: SmokeReport;
  /** The deploy copy the endpoint loaded (kept while it serves, removed after a rollback). */
  modelDir?: string;
}

export class LocalDeployer implements Deployer {
  readonly client: EndpointClient;
  private readonly log: (line: string) => void;

  constructor(private readonly options: LocalDeployerOptions) {
    this.client = new EndpointClient({ url: options.endpointUrl, adminToken: options.adminToken });
    this.log = options.log ?? (() => undefined);
  }

  async current(): Promise<RegisteredIdentity | undefined> {
    return registeredIdentity((await this.client.models()).model);
  }

  async deploy(pkg: DeployablePackage): Promise<LocalDeployResult> {
    const expected = servedIdentity(pkg);
    const label = `${pkg.group} v${pkg.version}`;
    const at = this.client.url;
    const timings: LocalDeployTimings = { copyMs: 0 };

    let started = performance.now();
    let copyDir: string;
    let cases: SmokeCase[];
    try {
      const copy = await prepareDeployCopy(pkg, this.options.deployRoot, this.options.download);
      copyDir = copy.dir;
      timings.copyMs = performance.now() - started;
      this.log(`deploy: ${label} copied to ${copyDir} as ${expected.name}@${expected.version} (${ms(timings.copyMs)})`);
      // The smoke set is assembled before the swap: a deploy that could not be verified never starts.
      cases = await this.smokeCases(pkg, copyDir).catch(async (err: Error) => {
        await rm(copyDir, { recursive: true, force: true });
        throw err;
      });
    } catch (err) {
      return { deployed: false, message: `${label} not deployed, ${at} unchanged: ${(err as Error).message}`, timings };
    }

    started = performance.now();
    let swap: ModelSwapAnswer;
    try {
      swap = await this.swapWhenFree(copyDir);
    } catch (err) {
      // The endpoint answered: it refused, so the copy is no one's. Without an answer (timeout, connection
      // lost) the swap may still complete, and the copy must stay for the model it would serve.
      const answered = err instanceof EndpointCallError && err.status !== undefined;
      if (answered) await rm(copyDir, { recursive: true, force: true });
      const unknown = answered ? '' : `; whether ${at} switched is unknown (GET /models tells), so ${copyDir} is kept`;
      return { deployed: false, message: `${label} not deployed: ${(err as Error).message}${unknown}`, timings };
    }
    timings.swapMs = performance.now() - started;
    const previous = swap.previous;
    this.log(`deploy: ${at} switched to ${describe(swap.model)} from ${previous ? describe(previous) : 'no model'} (${ms(timings.swapMs)})`);

    const smoke = await runSmokeTest(this.client, cases, expected);
    timings.smokeMs = smoke.elapsedMs;
    if (smoke.passed) {
      this.log(`deploy: smoke test passed, ${smoke.total} of ${smoke.total} photos right (${ms(smoke.elapsedMs)})`);
      const keep = [copyDir, ...(previous ? [previous.location] : [])];
      await pruneDeployCopies(this.options.deployRoot, pkg.group, keep).catch(() => undefined);
      return {
        deployed: true,
        message: `${label} serves at ${at} (smoke test ${smoke.total}/${smoke.total} in ${ms(smoke.elapsedMs)}, swap ${ms(timings.swapMs)})`,
        timings,
        smoke,
        modelDir: copyDir,
      };
    }

    const why = `smoke test failed: ${describeSmokeFailures(smoke)}`;
    this.log(`deploy: ${why}; rolling back`);
    started = performance.now();
    const rollback = await this.rollBack(expected, previous);
    timings.rollbackMs = performance.now() - started;
    const stillServed = rollback.outcome === 'failed';
    if (!stillServed) await rm(copyDir, { recursive: true, force: true });
    const rolledBackTo = rollback.outcome === 'restored' && previous ? registeredIdentity(previous) : undefined;
    this.log(`deploy: ${rollback.message} (${ms(timings.rollbackMs)})`);
    return {
      deployed: false,
      message: `${label} not deployed, ${why}; ${rollback.message}`,
      ...(rolledBackTo ? { rolledBackTo } : {}),
      timings,
      smoke,
      ...(stillServed ? { modelDir: copyDir } : {}),
    };
  }

  private async smokeCases(pkg: DeployablePackage, modelDir: string): Promise<SmokeCase[]> {
    const source = this.options.smoke;
    if (source) {
      const cases = typeof source === 'function' ? await source({ pkg, modelDir }) : [...source];
      if (cases.length === 0) throw new SmokeSetError('the smoke set is empty: a deploy nothing verifies is not made');
      return cases;
    }
    const mistakes = pkg.evaluationUri ? await this.registeredMistakes(pkg.evaluationUri, modelDir) : undefined;
    const held = await heldOutSmokeSet(modelDir, { dataRoot: this.options.smokeDataRoot, perClass: this.options.smokePerClass ?? DEFAULT_SMOKE_PER_CLASS, mistakes });
    this.log(
      `deploy: smoke set ${held.cases.length} held-out photos from ${held.dataRoot}` +
        (held.screened ? '' : ' (no evaluation.json registered or in the artifact, so known mistakes could not be left out)'),
    );
    return held.cases;
  }

  /** The mistakes in the registered evaluation.json (fetched beside the deploy copy, then removed). */
  private async registeredMistakes(evaluationUri: string, modelDir: string): Promise<string[]> {
    const workDir = `${modelDir}.evaluation`;
    try {
      return await evaluationMistakes(await localPathOf(evaluationUri, workDir, this.options.download));
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** The endpoint takes one swap at a time: wait out another deploy's swap instead of failing on it. */
  private async swapWhenFree(modelDir: string): Promise<ModelSwapAnswer> {
    const deadline = Date.now() + (this.options.swapBusyWaitMs ?? 120_000);
    for (;;) {
      try {
        return await this.client.swap(modelDir);
      } catch (err) {
        if (!(err instanceof EndpointCallError) || err.code !== 'SWAP_IN_PROGRESS' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * Swaps the previous model back, unless the endpoint no longer serves the failed version (another deploy
   * came after it: putting the old model back would undo that one).
   */
  private async rollBack(failed: { name: string; version: string }, previous: ServedModel | null): Promise<{ outcome: RollbackOutcome; message: string }> {
    if (!previous) return { outcome: 'failed', message: `no previous model to roll back to: ${describe(failed)} still serves` };
    try {
      const now = (await this.client.models()).model;
      if (now && (now.name !== failed.name || now.version !== failed.version)) {
        return { outcome: 'superseded', message: `not rolled back: the endpoint already serves ${describe(now)} (another deploy)` };
      }
      const back = await this.swapWhenFree(previous.location);
      return { outcome: 'restored', message: `rolled back to ${describe(back.model)}, which serves again` };
    } catch (err) {
      return { outcome: 'failed', message: `ROLLBACK FAILED, ${describe(failed)} still serves: ${(err as Error).message}` };
    }
  }
}

/** restored: the previous model serves again; superseded: another deploy replaced the failed one first; failed: the failed one still serves. */
type RollbackOutcome = 'restored' | 'superseded' | 'failed';

function describe(model: { name: string; version: string }): string {
  return `${model.name}@${model.version}`;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
