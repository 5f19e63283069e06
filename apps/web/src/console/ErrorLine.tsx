import { ConsoleApiError } from './api.js';
import { useI18n } from './i18n.js';

/** A failed call: what it means in the page's language, and the server's own words for an operator. */
export function ErrorLine({ error, testId = 'console-error' }: { error: unknown; testId?: string }) {
  const { t } = useI18n();
  if (!error) return null;
  const kind = error instanceof ConsoleApiError ? error.kind : 'other';
  const detail = error instanceof Error ? error.message : String(error);
  return (
    <p className="c-alert" role="alert" data-testid={testId} data-kind={kind}>
      <strong>{t.errors[kind]}</strong>
      {detail && detail !== t.errors[kind] && <span className="c-alert__detail">{detail}</span>}
    </p>
  );
}
