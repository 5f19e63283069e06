/**
 * The model in a worker thread (see worker-model.ts): ONNX Runtime's `run()` executes on the calling
 * thread, so on the main thread every batch stalled HTTP parsing and the hand-off of finished decodes.
 * Here it runs beside the event loop. Messages: `{id, pixels, n, topK?}` → `{id, result}` or
 * `{id, error}`; `{id, dispose: true}` releases the session.
 */
import { loadModel, type LoadModelOptions } from '@petal/model';
import { parentPort, workerData } from 'node:worker_threads';

interface Job {
  id: number;
  pixels?: Float32Array;
  n?: number;
  topK?: number;
  dispose?: boolean;
}

const port = parentPort!;
const { location, options } = workerData as { location: string; options: LoadModelOptions };

const errorOf = (err: unknown) => ({
  name: (err as Error)?.name ?? 'Error',
  message: (err as Error)?.message ?? String(err),
  code: (err as { code?: unknown })?.code,
});

try {
  const model = await loadModel(location, options);
  port.postMessage({
    ready: { identity: model.identity, inputSize: model.inputSize, labels: [...model.labels], manifest: model.manifest, outOfScope: model.outOfScope },
  });
  port.on('message', (job: Job) => {
    if (job.dispose) {
      void model.dispose().then(() => port.postMessage({ id: job.id, result: null }));
      return;
    }
    model.classifyPixels(job.pixels!, job.n!, job.topK === undefined ? undefined : { topK: job.topK }).then(
      (result) => port.postMessage({ id: job.id, result }),
      (err: unknown) => port.postMessage({ id: job.id, error: errorOf(err) }),
    );
  });
} catch (err) {
  port.postMessage({ failed: errorOf(err) });
}
