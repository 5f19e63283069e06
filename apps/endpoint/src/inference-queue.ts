import { checkTotalPixels } from '@petal/imaging';
import type { Classification } from '@petal/model';
import type { ModelHost } from './model-host.js';

/** What one request asks the model for: encoded images, or already-preprocessed N×S×S×3 tensors. */
export type InferenceInput = { kind: 'images'; images: Uint8Array[] } | { kind: 'pixels'; pixels: Float32Array; n: number };

export interface InferenceResult {
  classifications: Classification[];
  model: { name: string; version: string };
}

export interface QueueOptions {
  /** Requests allowed to wait (not counting those running); more are refused with QueueFullError. */
  maxQueue: number;
  /** Most images in one model call. */
  maxBatch: number;
  /** How long a lone request may wait for company before it runs anyway (0: never wait). */
  batchWindowMs: number;
  /** Batches running at once. Inference is CPU-bound, so more than the cores only adds latency. */
  concurrency: number;
  /** A request still waiting after this long is failed with QueueTimeoutError. */
  queueTimeoutMs: number;
  /** Decoded pixels one multi-image request may hold (checked from headers before it queues). */
  maxRequestPixels?: number;
}

export interface QueueObserver {
  depth(n: number): void;
  batch(kind: InferenceInput['kind'], images: number, requests: number, seconds: number): void;
  queueWait(seconds: number): void;
}

export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the inference queue is full');
    this.name = 'QueueFullError';
  }
}

export class QueueTimeoutError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the request waited too long in the inference queue');
    this.name = 'QueueTimeoutError';
  }
}

export class ModelUnavailableError extends Error {
  constructor() {
    super('no model is loaded yet');
    this.name = 'ModelUnavailableError';
  }
}

/** A tensor request parsed for one model's input size reached a model with another (a swap in between). */
export class ModelChangedError extends Error {
  constructor() {
    super('the model changed while the request waited; its tensor no longer fits the input size, send it again');
    this.name = 'ModelChangedError';
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super('the server is shutting down');
    this.name = 'QueueClosedError';
  }
}

interface Job {
  input: InferenceInput;
  size: number;
  enqueuedAt: number;
  resolve(result: InferenceResult): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * A bounded queue in front of the model. Jobs that arrive while the model is busy (or within the batch
 * window) run together in one forward pass, up to `maxBatch` images; when `maxQueue` jobs are already
 * waiting, new ones are refused at once so latency stays bounded and the caller can retry elsewhere.
 */
export class InferenceQueue {
  private readonly waiting: Job[] = [];
  private running = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Moving average of one batch's duration, to tell refused callers when to come back. */
  private avgBatchSeconds = 0.05;

  constructor(
    private readonly host: ModelHost,
    private readonly options: QueueOptions,
    private readonly observer: QueueObserver = { depth: () => undefined, batch: () => undefined, queueWait: () => undefined },
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  get inFlight(): number {
    return this.running;
  }

  async submit(input: InferenceInput): Promise<InferenceResult> {
    // One image is bounded by the decoder's per-image limit; a batch also by its total, before it costs
    // a decode or a place in the queue.
    if (input.kind === 'images' && input.images.length > 1) await checkTotalPixels(input.images, this.options.maxRequestPixels);
    return this.enqueue(input);
  }

  private enqueue(input: InferenceInput): Promise<InferenceResult> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (!this.host.ready) return Promise.reject(new ModelUnavailableError());
    if (this.waiting.length >= this.options.maxQueue) return Promise.reject(new QueueFullError(this.retryAfter()));
    const size = input.kind === 'images' ? input.images.length : input.n;
    return new Promise<InferenceResult>((resolve, reject) => {
      const job: Job = {
        input,
        size,
        enqueuedAt: performance.now(),
        resolve,
        reject,
        timer: setTimeout(() => this.expire(job), this.options.queueTimeoutMs),
      };
      this.waiting.push(job);
      this.observer.depth(this.waiting.length);
      this.pump();
    });
  }

  /** Stops taking jobs; resolves when everything accepted has been answered. */
  async drain(): Promise<void> {
    this.closed = true;
    this.pump();
    if (this.running === 0 && this.waiting.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private retryAfter(): number {
    const batches = Math.ceil((this.waiting.length + 1) / Math.max(1, this.options.maxBatch)) / this.options.concurrency;
    return Math.max(1, Math.ceil(batches * this.avgBatchSeconds));
  }

  private expire(job: Job): void {
    const i = this.waiting.indexOf(job);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    this.observer.depth(this.waiting.length);
    job.reject(new QueueTimeoutError(this.retryAfter()));
    this.checkIdle();
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const first = this.waiting[0]!;
      const waitedMs = performance.now() - first.enqueuedAt;
      const batchFull = this.compatibleSize(first.input.kind) >= this.options.maxBatch;
      // Draining: run what is left without waiting for company that will never come.
      if (!this.closed && !batchFull && this.options.batchWindowMs > 0 && waitedMs < this.options.batchWindowMs) {
        this.windowTimer ??= setTimeout(() => {
          this.windowTimer = undefined;
          this.pump();
        }, this.options.batchWindowMs - waitedMs);
        return;
      }
      this.runBatch(this.takeBatch());
    }
  }

  private compatibleSize(kind: InferenceInput['kind']): number {
    let n = 0;
    for (const job of this.waiting) if (job.input.kind === kind) n += job.size;
    return n;
  }

  /** The oldest job plus the following jobs of the same kind that still fit in one batch. */
  private takeBatch(): Job[] {
    const first = this.waiting.shift()!;
    const batch = [first];
    let images = first.size;
    for (let i = 0; i < this.waiting.length && images < this.options.maxBatch; ) {
      const job = this.waiting[i]!;
      if (job.input.kind === first.input.kind && images + job.size <= this.options.maxBatch) {
        batch.push(job);
        images += job.size;
        this.waiting.splice(i, 1);
      } else {
        i++;
      }
    }
    if (this.windowTimer && this.waiting.length === 0) {
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
    }
    this.observer.depth(this.waiting.length);
    return batch;
  }

  private runBatch(batch: Job[]): void {
    this.running++;
    const started = performance.now();
    for (const job of batch) {
      clearTimeout(job.timer);
      this.observer.queueWait((started - job.enqueuedAt) / 1000);
    }
    void this.execute(batch)
      .catch(() => undefined)
      .finally(() => {
        const seconds = (performance.now() - started) / 1000;
        this.avgBatchSeconds = 0.8 * this.avgBatchSeconds + 0.2 * seconds;
        const images = batch.reduce((n, j) => n + j.size, 0);
        this.observer.batch(batch[0]!.input.kind, images, batch.length, seconds);
        this.running--;
        this.pump();
        this.checkIdle();
      });
  }

  private async execute(batch: Job[]): Promise<void> {
    const lease = this.host.lease();
    if (!lease) {
      for (const job of batch) job.reject(new ModelUnavailableError());
      return;
    }
    const identity = { name: lease.model.identity.name, version: lease.model.identity.version };
    try {
      const kind = batch[0]!.input.kind;
      if (kind === 'pixels') {
        await this.executePixels(batch, lease.model, identity);
      } else {
        await this.executeImages(batch, lease.model, identity);
      }
    } finally {
      lease.release();
    }
  }

  private async executePixels(batch: Job[], model: import('@petal/model').LoadedModel, identity: InferenceResult['model']): Promise<void> {
    const inputs = batch.map((j) => j.input as Extract<InferenceInput, { kind: 'pixels' }>);
    let pixels: Float32Array;
    if (inputs.length === 1) {
      pixels = inputs[0]!.pixels;
    } else {
      pixels = new Float32Array(inputs.reduce((n, i) => n + i.pixels.length, 0));
      let offset = 0;
      for (const input of inputs) {
        pixels.set(input.pixels, offset);
        offset += input.pixels.length;
      }
    }
    const total = inputs.reduce((n, i) => n + i.n, 0);
    if (pixels.length !== total * model.inputSize * model.inputSize * 3) {
      for (const job of batch) job.reject(new ModelChangedError());
      return;
    }
    try {
      const results = await model.classifyPixels(pixels, total);
      let at = 0;
      batch.forEach((job, i) => {
        job.resolve({ classifications: results.slice(at, at + inputs[i]!.n), model: identity });
        at += inputs[i]!.n;
      });
    } catch (err) {
      for (const job of batch) job.reject(err);
    }
  }

  private async executeImages(batch: Job[], model: import('@petal/model').LoadedModel, identity: InferenceResult['model']): Promise<void> {
    const perJob = batch.map((j) => (j.input as Extract<InferenceInput, { kind: 'images' }>).images);
    const all = perJob.flat();
    try {
      // A lone photo with no other batch in flight has nothing to overlap its decode with: decoding it on
      // this thread saves the thread-pool round trip (about 0.1 ms of the 0.6 ms decode).
      const results = all.length === 1 ? [await model.classify(all[0]!, { inlineDecode: this.running === 1 })] : await model.classifyBatch(all);
      let at = 0;
      batch.forEach((job, i) => {
        job.resolve({ classifications: results.slice(at, at + perJob[i]!.length), model: identity });
        at += perJob[i]!.length;
      });
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One bad image must not fail its neighbours: answer each request on its own.
      for (const [i, job] of batch.entries()) {
        const images = perJob[i]!;
        try {
          const results = images.length === 1 ? [await model.classify(images[0]!)] : await model.classifyBatch(images);
          job.resolve({ classifications: results, model: identity });
        } catch (jobErr) {
          job.reject(jobErr);
        }
      }
    }
  }

  private checkIdle(): void {
    if (this.running === 0 && this.waiting.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
