/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, in float64. Deterministic: no random
 * draws, and the same objective gives the same iterates on every run, which is what lets a seed stand for a
 * model. Written here rather than taken from a library because the objective is a few lines over the
 * training features and the npm L-BFGS packages are unmaintained or pull in a whole linear-algebra stack.
 */
export type Objective = (x: Float64Array, gradient: Float64Array) => number | Promise<number>;

export interface LbfgsOptions {
  maxIterations: number;
  /** Pairs of (step, gradient change) remembered for the inverse-Hessian estimate. */
  memory?: number;
  /** Stop when the gradient's max-norm falls below this. */
  gradientTolerance?: number;
  /** Stop when an iteration improves the objective by less than this, relatively. */
  relativeTolerance?: number;
  /** Called after every iteration with the current point; return false to stop. */
  onIteration?: (iteration: number, x: Float64Array, value: number) => boolean | void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  reason: 'gradient' | 'no-progress' | 'iterations' | 'stopped' | 'line-search';
}

export async function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): Promise<LbfgsResult> {
  const n = start.length;
  const m = options.memory ?? 10;
  const gtol = options.gradientTolerance ?? 1e-6;
  const rtol = options.relativeTolerance ?? 1e-10;
  let x = Float64Array.from(start);
  let g = new Float64Array(n);
  let f = await objective(x, g);
  let evaluations = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(m);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);

  for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
    if (maxAbs(g) < gtol) return { x, value: f, iterations: iteration - 1, evaluations, reason: 'gradient' };
    // Two-loop recursion: direction = −H·g.
    for (let i = 0; i < n; i++) direction[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, direction);
      axpy(-alpha[k]!, Y[k]!, direction);
    }
    const gamma = S.length ? dot(S.at(-1)!, Y.at(-1)!) / dot(Y.at(-1)!, Y.at(-1)!) : 1 / Math.max(1, norm(g));
    for (let i = 0; i < n; i++) direction[i]! *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, direction);
      axpy(alpha[k]! - beta, S[k]!, direction);
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (curvature estimate went bad): forget it and go downhill.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i]! / Math.max(1, norm(g));
      slope = dot(g, direction);
    }
    let step = 1;
    let fNew = Number.NaN;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * direction[i]!;
      fNew = await objective(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
      fNew = Number.NaN;
    }
    if (Number.isNaN(fNew)) return { x, value: f, iterations: iteration - 1, evaluations, reason: 'line-search' };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const improvement = f - fNew;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (options.onIteration?.(iteration, x, f) === false) return { x, value: f, iterations: iteration, evaluations, reason: 'stopped' };
    if (improvement <= rtol * Math.max(1, Math.abs(f))) return { x, value: f, iterations: iteration, evaluations, reason: 'no-progress' };
  }
  return { x, value: f, iterations: options.maxIterations, evaluations, reason: 'iterations' };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}

function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
