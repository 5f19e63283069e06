import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full GC, as a percentage: the next
 * limit is (1 + percent/100) × the surviving size. 0 leaves V8's own choice.
 *
 * Why the endpoint sets it: V8 chooses that factor from how fast JavaScript allocates, and this process
 * allocates little JavaScript per photo but about 800 KB outside the JS heap (the decoded pixels and the
 * input tensor), which V8 also counts against the limit. Its own choice here falls to about 2× on the
 * 22 MB that stays alive, and once a full GC under load has set that limit, the external bytes of every
 * ~20 photos start the next one: 16 full GCs per 300 requests where a fresh process did none, whose
 * concurrent marking takes a core from ONNX Runtime's two threads (measured: 150 against 185 req/s one
 * at a time, 168 against 200 at 16; none with 200). The limit only grows the heap by what survives, so
 * the price is at most a few tens of MB of garbage left for a later collection.
 */
export function tuneHeapGrowth(percent: number, set: (flags: string) => void = setFlagsFromString): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth must be a whole percentage ≥ 0, not ${percent}`);
  // V8 reads this flag each time it recomputes the limits (after every full GC), so setting it at run time
  // takes effect from the next collection on.
  if (percent > 0) set(`--heap-growing-percent=${percent}`);
}
