import { describe, expect, it } from 'vitest';
import { fullJitterDelay, withRetries } from './retry.js';

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base·2^attempt))', () => {
    expect(fullJitterDelay(0, 50, 1000, () => 0)).toBe(0);
    expect(fullJitterDelay(0, 50, 1000, () => 0.999)).toBe(49);
    expect(fullJitterDelay(3, 50, 1000, () => 0.999)).toBe(399);
    expect(fullJitterDelay(10, 50, 1000, () => 0.999)).toBe(999);
  });
});

describe('withRetries', () => {
  const noSleep = async () => undefined;

  it('retries retryable errors up to maxRetries, then throws the last one', async () => {
    const delays: number[] = [];
    let attempts = 0;
    const result = withRetries(
      async () => {
        attempts += 1;
        throw new Error(`fail ${attempts}`);
      },
      { maxRetries: 2, baseMs: 10, maxMs: 100, isRetryable: () => true, sleep: noSleep, random: () => 0.5, onRetry: (_e, _n, d) => delays.push(d) },
    );
    await expect(result).rejects.toThrow('fail 3');
    expect(attempts).toBe(3);
    expect(delays).toEqual([5, 10]);
  });

  it('does not retry errors that are not retryable', async () => {
    let attempts = 0;
    await expect(
      withRetries(
        async () => {
          attempts += 1;
          throw new Error('bad input');
        },
        { maxRetries: 5, baseMs: 1, maxMs: 1, isRetryable: () => false, sleep: noSleep },
      ),
    ).rejects.toThrow('bad input');
    expect(attempts).toBe(1);
  });

  it('returns the first success', async () => {
    let attempts = 0;
    const value = await withRetries(
      async (n) => {
        attempts += 1;
        if (n < 1) throw new Error('flaky');
        return 'ok';
      },
      { maxRetries: 3, baseMs: 1, maxMs: 2, isRetryable: () => true },
    );
    expect(value).toBe('ok');
    expect(attempts).toBe(2);
  });
});
