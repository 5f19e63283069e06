import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from './circuit-breaker.js';

const fail = () => Promise.reject(new Error('down'));
const ok = () => Promise.resolve('up');
const always = () => true;

function breaker(threshold = 3, cooldownMs = 1000) {
  let now = 0;
  const transitions: CircuitState[] = [];
  const b = new CircuitBreaker({ failureThreshold: threshold, cooldownMs, now: () => now, onStateChange: (s) => transitions.push(s) });
  return { b, transitions, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and then fails fast without calling', async () => {
    const { b, transitions } = breaker(3);
    for (let i = 0; i < 3; i++) await expect(b.run(fail, always)).rejects.toThrow('down');
    expect(b.currentState).toBe('open');
    let called = false;
    await expect(b.run(async () => ((called = true), 'x'), always)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(transitions).toEqual(['open']);
  });

  it('a success in between resets the failure count', async () => {
    const { b } = breaker(3);
    await expect(b.run(fail, always)).rejects.toThrow();
    await expect(b.run(fail, always)).rejects.toThrow();
    await b.run(ok, always);
    await expect(b.run(fail, always)).rejects.toThrow();
    await expect(b.run(fail, always)).rejects.toThrow();
    expect(b.currentState).toBe('closed');
  });

  it('errors that are not endpoint faults do not count', async () => {
    const { b } = breaker(1);
    await expect(b.run(fail, () => false)).rejects.toThrow();
    expect(b.currentState).toBe('closed');
  });

  it('after the cool-down lets exactly one probe through; success closes, failure re-opens', async () => {
    const { b, advance, transitions } = breaker(1, 1000);
    await expect(b.run(fail, always)).rejects.toThrow();
    advance(400);
    const rejected = b.run(ok, always).catch((e: unknown) => e);
    expect(await rejected).toBeInstanceOf(CircuitOpenError);
    expect(b.retryAfterMs()).toBe(600);
    advance(600);
    expect(b.currentState).toBe('half-open');
    let release!: () => void;
    const probe = b.run(() => new Promise<string>((r) => (release = () => r('ok'))), always);
    // while the probe is in flight, everyone else still fails fast
    await expect(b.run(ok, always)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).resolves.toBe('ok');
    expect(b.currentState).toBe('closed');

    await expect(b.run(fail, always)).rejects.toThrow();
    advance(1000);
    await expect(b.run(fail, always)).rejects.toThrow('down'); // failed probe
    expect(b.currentState).toBe('open');
    expect(b.retryAfterMs()).toBe(1000);
    expect(transitions).toEqual(['open', 'half-open', 'closed', 'open', 'half-open', 'open']);
  });
});
