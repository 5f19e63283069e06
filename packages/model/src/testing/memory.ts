import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * The process's RSS after a full garbage collection, for tests that check memory stays flat. Garbage V8
 * has not collected yet is not a leak, and V8 grows its heap lazily (more so on Node 24 and under load),
 * which made plain RSS readings flaky; native leaks (ONNX tensors, sharp buffers) still show.
 */
export function rssAfterGc(): number {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  return process.memoryUsage().rss;
}
