import { DEFAULT_MAX_PIXELS, preprocess, preprocessBatch } from '@petal/imaging';
import { preprocessSpecOf, type Classification, type LoadModelOptions, type LoadedModel } from '@petal/model';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * What the process preloads with `--import` (NODE_OPTIONS or the command line), as URLs. A worker thread
 * does not run them itself, and they may register module hooks the model code relies on.
 */
function preloads(): string[] {
  const args = [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv].filter(Boolean);
  const found: string[] = [];
  args.forEach((arg, i) => {
    const value = arg.startsWith('--import=') ? arg.slice('--import='.length) : arg === '--import' ? args[i + 1] : undefined;
    if (!value || value === 'tsx') return;
    found.push(value.startsWith('/') || value.startsWith('.') ? pathToFileURL(resolve(value)).href : value);
  });
  return [...new Set(found)];
}

/** The worker's entry beside this file: TypeScript through tsx when running from sources, else the build. */
function startWorker(workerData: unknown): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './model-worker.ts' : './model-worker.js', import.meta.url);
  const steps = [
    // A worker does not inherit a loader registered with --import, so it registers tsx itself.
    ...(fromSource ? ["const { register } = await import('tsx/esm/api'); register();"] : []),
    ...preloads().map((url) => `await import(${JSON.stringify(url)});`),
    `await import(${JSON.stringify(entry.href)});`,
  ];
  return new Worker(`(async () => { ${steps.join(' ')} })();`, {
    eval: true,
    workerData,
    ...(fromSource ? { execArgv: ['--conditions=source'] } : {}),
  });
}

interface Pending {
  resolve: (value: Classification[]) => void;
  reject: (err: Error) => void;
}

type WireError = { name: string; message: string; code?: unknown };

function rebuild(wire: WireError): Error {
  // Callers match image errors by name and code (toInvocationError), so both survive the thread hop.
  return Object.assign(new Error(wire.message), { name: wire.name, ...(wire.code === undefined ? {} : { code: wire.code }) });
}

/**
 * `loadModel` with inference on a worker thread: ONNX Runtime's `run()` blocks the thread that calls it,
 * so on the main thread each batch held up every request's parsing, every answer and the start of the
 * next decodes. Decoding stays here (sharp works on libuv's pool either way); the worker gets the pixels
 * and answers the classifications. Same interface as `loadModel`, so the queue and the host see no change.
 */
export async function loadModelInWorker(location: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const worker = startWorker({ location, options });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  type Info = Pick<LoadedModel, 'identity' | 'inputSize' | 'labels' | 'manifest' | 'outOfScope'>;
  const info = await new Promise<Info>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the model worker exited with code ${code} while loading`));
    const onMessage = (message: { ready?: Info; failed?: WireError }) => {
      // Only these two: Worker's own listeners (which start and stop its port) must stay.
      worker.off('error', reject).off('exit', onExit);
      if (message.failed) reject(rebuild(message.failed));
      else resolve(message.ready!);
    };
    worker.once('error', reject).once('exit', onExit).once('message', onMessage);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.on('message', (message: { id: number; result?: Classification[]; error?: WireError }) => {
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if (message.error) p.reject(rebuild(message.error));
    else p.resolve(message.result ?? []);
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`the model worker exited with code ${code}`)));

  const post = (job: object, transfer: ArrayBuffer[] = []): Promise<Classification[]> => {
    if (failure) return Promise.reject(failure);
    const id = (nextId += 1);
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...job }, transfer);
    });
  };
  const classifyPixels = (pixels: Float32Array, n: number, topK?: number) => {
    // A copy of the caller's pixels is handed over (moved, not cloned again): the caller keeps its own.
    const own = pixels.slice();
    return post({ pixels: own, n, ...(topK === undefined ? {} : { topK }) }, [own.buffer as ArrayBuffer]);
  };

  const spec = preprocessSpecOf(info.manifest);
  const decodeOptions = { maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS };
  let disposed = false;
  return {
    ...info,
    async classify(image, opts) {
      const [result] = await classifyPixels(await preprocess(image, spec, decodeOptions), 1, opts?.topK);
      return result!;
    },
    async classifyBatch(images, opts) {
      if (images.length === 0) return [];
      return classifyPixels(await preprocessBatch(images, spec, decodeOptions), images.length, opts?.topK);
    },
    classifyPixels: (pixels, n, opts) => classifyPixels(pixels, n, opts?.topK),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await post({ dispose: true }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
