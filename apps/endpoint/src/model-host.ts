import type { OutOfScopeCalibrationInfo, ServedModel } from '@petal/contracts';
import type { LoadedModel } from '@petal/model';

export type ModelLoader = (location: string) => Promise<LoadedModel>;
export type ModelWarmUp = (model: LoadedModel) => Promise<void>;

export type HostState = 'loading' | 'ready' | 'failed';

/** A model checked out for one batch; release it when the batch is done. */
export interface ModelLease {
  model: LoadedModel;
  release(): void;
}

/** The served model as `/ping`, `/models` and the admin API describe it (the contract's `ServedModel`). */
export type ModelSummary = ServedModel;

/** Raised when a swap is asked for while another is still loading. */
export class SwapInProgressError extends Error {
  constructor() {
    super('another model swap is in progress');
    this.name = 'SwapInProgressError';
  }
}

/** The new artifact could not be loaded or warmed up; the old model keeps serving. */
export class ModelLoadError extends Error {
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`cannot load model from ${location}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}

interface Slot {
  model: LoadedModel;
  location: string;
  loadedAt: Date;
  inFlight: number;
  retired: boolean;
  disposed?: Promise<void>;
}

/**
 * Holds the model that answers requests and swaps it without dropping any: every batch leases the current
 * model, a swap loads and warms the new one beside the old, switches the pointer in one step, and disposes
 * the old one only after its last lease is released. If the new artifact fails, the old stays.
 */
export class ModelHost {
  private current: Slot | undefined;
  private swapping: Promise<unknown> | undefined;
  private readonly retiring = new Set<Slot>();
  state: HostState = 'loading';
  lastError: string | undefined;

  constructor(
    private readonly loader: ModelLoader,
    private readonly warmUp: ModelWarmUp,
    private readonly onSwap: (summary: ModelSummary, previous: ModelSummary | undefined) => void = () => undefined,
  ) {}

  get ready(): boolean {
    return this.state === 'ready' && this.current !== undefined;
  }

  summary(): ModelSummary | undefined {
    return this.current ? summarize(this.current) : undefined;
  }

  /** The current model for one unit of work; undefined while none is loaded. */
  lease(): ModelLease | undefined {
    const slot = this.current;
    if (!slot) return undefined;
    slot.inFlight++;
    let released = false;
    return {
      model: slot.model,
      release: () => {
        if (released) return;
        released = true;
        slot.inFlight--;
        if (slot.retired && slot.inFlight === 0) void this.dispose(slot);
      },
    };
  }

  /** The first load at startup: on failure the host is `failed` and the error propagates (fail fast). */
  async loadInitial(location: string): Promise<ModelSummary> {
    try {
      const summary = await this.swap(location);
      return summary;
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  /** Loads, warms and switches to a new artifact; throws ModelLoadError (old model kept) or SwapInProgressError. */
  async swap(location: string): Promise<ModelSummary> {
    if (this.swapping) throw new SwapInProgressError();
    const work = this.doSwap(location);
    this.swapping = work;
    try {
      return await work;
    } finally {
      this.swapping = undefined;
    }
  }

  private async doSwap(location: string): Promise<ModelSummary> {
    let model: LoadedModel;
    try {
      model = await this.loader(location);
    } catch (err) {
      this.lastError = (err as Error).message;
      throw new ModelLoadError(location, (err as Error).message);
    }
    try {
      await this.warmUp(model);
    } catch (err) {
      await model.dispose().catch(() => undefined);
      this.lastError = `warm-up inference failed: ${(err as Error).message}`;
      throw new ModelLoadError(location, this.lastError);
    }
    const previous = this.current;
    const next: Slot = { model, location, loadedAt: new Date(), inFlight: 0, retired: false };
    // The switch is a single assignment: every lease after this line gets the new model.
    this.current = next;
    this.state = 'ready';
    this.lastError = undefined;
    if (previous) {
      previous.retired = true;
      this.retiring.add(previous);
      if (previous.inFlight === 0) void this.dispose(previous);
    }
    const summary = summarize(next);
    this.onSwap(summary, previous ? summarize(previous) : undefined);
    return summary;
  }

  private dispose(slot: Slot): Promise<void> {
    if (!slot.disposed) {
      slot.disposed = slot.model
        .dispose()
        .catch(() => undefined)
        .finally(() => this.retiring.delete(slot));
    }
    return slot.disposed;
  }

  /** Number of leases still held on models that were swapped out (for tests and /models). */
  retiringInFlight(): number {
    let n = 0;
    for (const slot of this.retiring) n += slot.inFlight;
    return n;
  }

  /** At shutdown, after the queue drained: dispose everything. */
  async close(): Promise<void> {
    if (this.swapping) await this.swapping.catch(() => undefined);
    const slots = [...this.retiring];
    if (this.current) slots.push(this.current);
    this.current = undefined;
    this.state = 'loading';
    await Promise.all(slots.map((s) => this.dispose(s)));
  }
}

/**
 * The calibration as the contract states it: the examples' source is where the training job read them,
 * possibly an absolute path on the training machine, which a public answer must not carry.
 */
function publicCalibration(calibration: NonNullable<LoadedModel['outOfScope']>): OutOfScopeCalibrationInfo {
  const { method, thresholds, calibration: heldOut, outlierExamples } = calibration;
  return {
    method,
    thresholds,
    calibration: heldOut,
    ...(outlierExamples ? { outlierExamples: { count: outlierExamples.count, fingerprint: outlierExamples.fingerprint } } : {}),
  };
}

function summarize(slot: Slot): ModelSummary {
  const { model } = slot;
  const metrics = (model.manifest as { metrics?: Record<string, unknown> } | undefined)?.metrics;
  const numeric = metrics
    ? Object.fromEntries(Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number'))
    : undefined;
  return {
    name: model.identity.name,
    version: model.identity.version,
    labels: [...model.labels],
    inputSize: model.inputSize,
    location: slot.location,
    loadedAt: slot.loadedAt.toISOString(),
    ...(numeric ? { metrics: numeric } : {}),
    // null, not absent: says out loud that this model has no calibration and answers probabilities alone.
    outOfScope: model.outOfScope ? publicCalibration(model.outOfScope) : null,
  };
}
