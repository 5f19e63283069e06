export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  isRetryable: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** "Full jitter" (AWS Architecture Blog): a uniform delay in [0, min(cap, base·2^attempt)). */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Calls `attempt(n)` until it succeeds, fails with a non-retryable error, or the retries run out. */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { maxRetries, baseMs, maxMs, isRetryable, onRetry, signal, random = Math.random, sleep = defaultSleep } = options;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= maxRetries || !isRetryable(err) || signal?.aborted) throw err;
      const delayMs = fullJitterDelay(n, baseMs, maxMs, random);
      onRetry?.(err, n + 1, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
