import { describe, expect, it } from 'vitest';
import { InferenceQueue, ModelChangedError, ModelUnavailableError, QueueFullError, QueueTimeoutError, type QueueOptions } from './inference-queue.js';
import { ModelHost, ModelLoadError } from './model-host.js';
import { fakeModel, type FakeModel } from './testing/fake-model.js';

const img = (first: number) => ({ kind: 'images' as const, images: [Uint8Array.from([first, 1, 2])] });

async function hostWith(model: FakeModel): Promise<ModelHost> {
  const host = new ModelHost(async () => model, async () => undefined);
  await host.loadInitial('fake');
  return host;
}

function queue(host: ModelHost, options: Partial<QueueOptions> = {}) {
  return new InferenceQueue(host, { maxQueue: 16, maxBatch: 4, batchWindowMs: 0, concurrency: 1, queueTimeoutMs: 5_000, ...options });
}

describe('InferenceQueue', () => {
  it('batches requests that arrive while the model is busy, keeping answers in order', async () => {
    const model = fakeModel({ delayMs: 30 });
    const q = queue(await hostWith(model));
    const results = await Promise.all([1, 2, 3, 4, 5].map((v) => q.submit(img(v))));
    // The first runs alone (the model was idle), the next four wait and share one call.
    expect(model.calls).toEqual([1, 4]);
    expect(results.map((r) => r.classifications[0]!.topK[0]!.index)).toEqual([1, 2, 0, 1, 2]);
    expect(results[0]!.model).toEqual({ name: 'fake', version: '1' });
  });

  it('decodes a lone photo on its own thread only while no other batch is in flight', async () => {
    const alone = fakeModel({ delayMs: 5 });
    const q1 = queue(await hostWith(alone));
    await q1.submit(img(1));
    await q1.submit(img(2));
    expect(alone.inlineDecodes).toEqual([true, true]);
    // Two calls at once: the second starts while the first runs, so its decode goes to the thread pool.
    const overlapping = fakeModel({ delayMs: 30 });
    const q2 = queue(await hostWith(overlapping), { concurrency: 2 });
    await Promise.all([q2.submit(img(1)), q2.submit(img(2))]);
    expect(overlapping.inlineDecodes).toEqual([true, false]);
  });

  it('waits up to the batch window for company when configured', async () => {
    const model = fakeModel();
    const q = queue(await hostWith(model), { batchWindowMs: 40 });
    const t0 = performance.now();
    await Promise.all([q.submit(img(1)), q.submit(img(2)), q.submit(img(3))]);
    expect(model.calls).toEqual([3]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
  });

  it('concatenates tensor requests into one model call and splits the answers', async () => {
    const model = fakeModel({ delayMs: 20 });
    const q = queue(await hostWith(model));
    const px = (v: number, n = 1) => ({ kind: 'pixels' as const, pixels: new Float32Array(4 * 4 * 3 * n).fill(v), n });
    const [a, b, c] = await Promise.all([q.submit(px(0.1)), q.submit(px(0.2, 2)), q.submit(px(0.1))]);
    expect(model.calls).toEqual([1, 3]);
    expect(a!.classifications).toHaveLength(1);
    expect(b!.classifications.map((x) => x.topK[0]!.index)).toEqual([2, 2]);
    expect(c!.classifications[0]!.topK[0]!.index).toBe(1);
  });

  it('a corrupt image fails only its own request, not its batch neighbours', async () => {
    const model = fakeModel({ delayMs: 20 });
    const q = queue(await hostWith(model));
    const settled = await Promise.allSettled([q.submit(img(1)), q.submit(img(2)), q.submit(img(0)), q.submit(img(1))]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'ImageInputError', code: 'CORRUPT_IMAGE' });
  });

  it('refuses at once with a Retry-After hint when the queue is full', async () => {
    const model = fakeModel({ delayMs: 50 });
    const q = queue(await hostWith(model), { maxQueue: 2, maxBatch: 1 });
    const accepted = [q.submit(img(1)), q.submit(img(1)), q.submit(img(1))]; // one running, two waiting
    await expect(q.submit(img(1))).rejects.toBeInstanceOf(QueueFullError);
    await expect(q.submit(img(1))).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
    await Promise.all(accepted);
    expect(q.depth).toBe(0);
    await expect(q.submit(img(1))).resolves.toBeDefined();
  });

  it('fails requests that waited past the queue timeout', async () => {
    const q = queue(await hostWith(fakeModel({ delayMs: 100 })), { maxBatch: 1, queueTimeoutMs: 30 });
    const first = q.submit(img(1));
    await expect(q.submit(img(1))).rejects.toBeInstanceOf(QueueTimeoutError);
    await first;
  });

  it('refuses work before a model is loaded, and drains what it accepted', async () => {
    const host = new ModelHost(async () => fakeModel({ delayMs: 30 }), async () => undefined);
    const q = queue(host);
    await expect(q.submit(img(1))).rejects.toBeInstanceOf(ModelUnavailableError);
    await host.loadInitial('x');
    const pending = [q.submit(img(1)), q.submit(img(2))];
    await q.drain();
    await expect(Promise.all(pending)).resolves.toHaveLength(2);
    await expect(q.submit(img(1))).rejects.toThrow(/shutting down/);
  });
});

describe('ModelHost', () => {
  it('refuses a tensor parsed for another input size after a swap, instead of failing in the model', async () => {
    const small = fakeModel({ inputSize: 4, delayMs: 30 });
    const large = fakeModel({ inputSize: 8 });
    const host = new ModelHost(async (loc) => (loc === 'large' ? large : small), async () => undefined);
    await host.loadInitial('small');
    const q = queue(host, { maxBatch: 1 });
    const running = q.submit(img(1));
    const stale = q.submit({ kind: 'pixels', pixels: new Float32Array(4 * 4 * 3), n: 1 });
    await host.swap('large');
    await running;
    await expect(stale).rejects.toBeInstanceOf(ModelChangedError);
    expect(large.calls).toEqual([]);
  });

  it('swaps atomically and disposes the old model only after its last in-flight batch', async () => {
    const old = fakeModel({ version: '1', delayMs: 60 });
    const next = fakeModel({ version: '2' });
    const host = new ModelHost(async (loc) => (loc === 'v2' ? next : old), async () => undefined);
    await host.loadInitial('v1');
    const q = queue(host);
    const inFlight = q.submit(img(1));
    await new Promise((r) => setTimeout(r, 10));
    await host.swap('v2');
    expect(host.summary()?.version).toBe('2');
    expect(old.disposed).toBe(false);
    expect((await inFlight).model.version).toBe('1');
    await new Promise((r) => setTimeout(r, 0));
    expect(old.disposed).toBe(true);
    expect((await q.submit(img(1))).model.version).toBe('2');
  });

  it('keeps the old model when the new one fails to load or warm up', async () => {
    const good = fakeModel();
    const broken = fakeModel({ version: 'broken' });
    const host = new ModelHost(
      async (loc) => {
        if (loc === 'missing') throw new Error('manifest.json not found');
        return loc === 'broken' ? broken : good;
      },
      async (m) => {
        if (m === broken) throw new Error('NaN probabilities');
      },
    );
    await host.loadInitial('good');
    await expect(host.swap('missing')).rejects.toBeInstanceOf(ModelLoadError);
    await expect(host.swap('broken')).rejects.toThrow(/warm-up inference failed: NaN/);
    expect(broken.disposed).toBe(true);
    expect(host.ready).toBe(true);
    expect(host.summary()?.version).toBe('1');
    expect(host.summary()?.metrics).toEqual({ testAccuracy: 0.9 });
  });
});
