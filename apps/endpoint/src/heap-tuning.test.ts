import { describe, expect, it } from 'vitest';
import { loadEndpointConfig } from './config.js';
import { tuneHeapGrowth } from './heap-tuning.js';

describe('tuneHeapGrowth', () => {
  it('sets V8 old-generation growth to the configured percentage', () => {
    const flags: string[] = [];
    tuneHeapGrowth(200, (f) => flags.push(f));
    expect(flags).toEqual(['--heap-growing-percent=200']);
  });

  it("leaves V8's own growth alone at 0", () => {
    const flags: string[] = [];
    tuneHeapGrowth(0, (f) => flags.push(f));
    expect(flags).toEqual([]);
  });

  it('refuses a percentage that is not a whole number ≥ 0', () => {
    expect(() => tuneHeapGrowth(-1, () => undefined)).toThrow(RangeError);
    expect(() => tuneHeapGrowth(1.5, () => undefined)).toThrow(RangeError);
  });

  it('defaults to 200 and takes HEAP_GROWING_PERCENT, refusing a negative value', () => {
    expect(loadEndpointConfig({}).heapGrowingPercent).toBe(200);
    expect(loadEndpointConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(() => loadEndpointConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
  });
});
