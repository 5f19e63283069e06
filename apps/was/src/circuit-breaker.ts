export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before letting one probe through. */
  cooldownMs: number;
  now?: () => number;
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

/** Thrown instead of calling a dependency while the circuit is open. */
export class CircuitOpenError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('circuit open: the model endpoint is failing; not calling it until the cool-down ends');
    this.name = 'CircuitOpenError';
  }
}

/**
 * Closed → (threshold consecutive failures) → open → (cool-down) → half-open: exactly one probe call is
 * allowed; its success closes the circuit, its failure re-opens it for another cool-down. While open (or
 * while the probe is in flight) calls fail immediately, so a dead endpoint costs microseconds, not timeouts.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get currentState(): CircuitState {
    // An open circuit whose cool-down is over reports half-open even before the next call arrives.
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half-open';
    return this.state;
  }

  /** Milliseconds until an open circuit lets a probe through (0 when it would now). */
  retryAfterMs(): number {
    if (this.state === 'closed') return 0;
    if (this.state === 'half-open') return this.probeInFlight ? this.options.cooldownMs : 0;
    return Math.max(0, this.options.cooldownMs - (this.now() - this.openedAt));
  }

  /**
   * Runs `call` if the circuit allows it. `isFailure` decides which errors count against the endpoint
   * (a rejected image is the caller's fault, not the endpoint's).
   */
  async run<T>(call: () => Promise<T>, isFailure: (err: unknown) => boolean): Promise<T> {
    this.admit();
    const probing = this.state === 'half-open';
    try {
      const result = await call();
      this.recordSuccess();
      return result;
    } catch (err) {
      if (isFailure(err)) this.recordFailure();
      else this.recordSuccess(); // the endpoint answered (busy, or refusing this input), so it is alive
      throw err;
    } finally {
      if (probing) this.probeInFlight = false;
    }
  }

  private admit(): void {
    if (this.state === 'open') {
      const waited = this.now() - this.openedAt;
      if (waited < this.options.cooldownMs) throw new CircuitOpenError(this.options.cooldownMs - waited);
      this.transition('half-open');
    }
    if (this.state === 'half-open') {
      if (this.probeInFlight) throw new CircuitOpenError(this.options.cooldownMs);
      this.probeInFlight = true;
    }
  }

  private recordSuccess(): void {
    this.failures = 0;
    if (this.state !== 'closed') this.transition('closed');
  }

  private recordFailure(): void {
    this.failures += 1;
    if (this.state === 'half-open' || (this.state === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(next: CircuitState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.options.onStateChange?.(next, previous);
  }
}
