import { useEffect, useState } from 'react';
import { DEFAULT_WAIT_S, RETRYABLE, WAIT_THEN_RETRY, type ApiFailure } from '../lib/api-errors.js';
import { useI18n } from '../i18n-context.js';

/** Seconds left before `Try again` is offered, counting down once a second from `from`. */
function useCountdown(from: number, key: unknown): number {
  const [left, setLeft] = useState(from);
  useEffect(() => {
    setLeft(from);
    if (from <= 0) return;
    const timer = setInterval(() => setLeft((s) => (s <= 1 ? (clearInterval(timer), 0) : s - 1)), 1000);
    return () => clearInterval(timer);
  }, [from, key]);
  return left;
}

/**
 * Every failure is said out loud (role=alert) in the current language, with what to do next. Status codes,
 * catalog codes and the service's own words are for bug reports, so they wait behind a details toggle.
 */
export function ErrorNotice({ failure, onRetry }: { failure: ApiFailure; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = t.errors[failure.kind];
  const retryable = RETRYABLE.has(failure.kind) && onRetry;
  // A busy or rate-limited service asked for a moment: the button waits for it rather than send the same
  // photo straight back into the queue.
  const wait = WAIT_THEN_RETRY.has(failure.kind) ? (failure.retryAfterS ?? DEFAULT_WAIT_S) : 0;
  const left = useCountdown(wait, failure);
  const details = [failure.status !== undefined ? `HTTP ${failure.status}` : undefined, failure.code, failure.serverMessage].filter(Boolean);
  return (
    <div className="notice notice--error" data-testid="error" data-kind={failure.kind}>
      {/* Only the words are the alert: the countdown below ticks every second and must not be re-announced. */}
      <div role="alert">
        <p className="notice__title">{text.title}</p>
        {text.hint && <p className="notice__hint">{text.hint}</p>}
      </div>
      {retryable && (
        <button type="button" className="btn btn--secondary" onClick={onRetry} disabled={left > 0} data-testid="retry">
          {left > 0 ? t.retryIn(left) : t.classify.again}
        </button>
      )}
      {details.length > 0 && (
        <details className="notice__details">
          <summary>{t.details}</summary>
          <p className="notice__code">{details.join(' · ')}</p>
        </details>
      )}
    </div>
  );
}
