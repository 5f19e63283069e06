import { RETRYABLE, type ApiFailure } from '../lib/api-errors.js';
import { useI18n } from '../i18n-context.js';

/** Every failure is said out loud (role=alert) in the current language, with what to do next. */
export function ErrorNotice({ failure, onRetry }: { failure: ApiFailure; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = t.errors[failure.kind];
  const retryable = RETRYABLE.has(failure.kind) && onRetry;
  return (
    <div className="notice notice--error" role="alert" data-testid="error" data-kind={failure.kind}>
      <p className="notice__title">{text.title}</p>
      <p className="notice__hint">
        {text.hint}
        {failure.retryAfterS !== undefined && failure.retryAfterS > 0 && ` ${t.errorRetryIn(failure.retryAfterS)}`}
      </p>
      {failure.status !== undefined && (
        <p className="notice__code">
          HTTP {failure.status}
          {failure.code ? ` · ${failure.code}` : ''}
        </p>
      )}
      {retryable && (
        <button type="button" className="btn btn--secondary" onClick={onRetry}>
          {t.classify.again}
        </button>
      )}
    </div>
  );
}
