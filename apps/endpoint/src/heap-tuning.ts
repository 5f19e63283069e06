import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full GC, as a percentage: the next
 * limit is (1 + percent/100) × the surviving size. 0 leaves V8's own choice.
 *
 * Why the endpoint sets it: V8 chooses that factor from how fast JavaScript allocates, and this process
 * allocates little JavaScript per photo but about 800 KB outside the JS heap (the decoded pixels and the
 * input tensor), which also weighs on when V8 collects. Its own choice falls to about 2× on the 22 MB
 * that stays alive, and once any full GC under load has set that limit, every ~20 photos start another:
 * 45 full GCs per 1,000 answers where a fresh process ran none, each one's marking taking a core from
 * ONNX Runtime's two threads. With 200 there were none; `npm run bench -- peer`, same run, 0 against 200:
 * 153.9 → 181.8 req/s one client at a time, 174.9 → 202.1 at 16. The limit grows only with what
 * survives, so the price is a few tens of MB of garbage left for a later collection.
 */
export function tuneHeapGrowth(percent: number, set: (flags: string) => void = setFlagsFromString): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth must be a whole percentage ≥ 0, not ${percent}`);
  // V8 reads this flag each time it recomputes the limits (after every full GC), so setting it at run time
  // takes effect from the next collection on.
  if (percent > 0) set(`--heap-growing-percent=${percent}`);
}
