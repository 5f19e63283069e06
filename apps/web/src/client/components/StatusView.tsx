import { useCallback, useEffect, useRef, useState } from 'react';
import { flowerByKey } from '@petal/catalog';
import type { ComponentStatus, StatusAnswer } from '@petal/contracts';
import type { ApiClient } from '../lib/api-client.js';
import { formatPercent, formatTime } from '../lib/i18n.js';
import { useI18n } from '../i18n-context.js';
import { Spinner } from './icons.js';

const REFRESH_MS = 15_000;

function StateBadge({ status }: { status: ComponentStatus }) {
  const { t } = useI18n();
  // The word carries the meaning; colour and the symbol only repeat it.
  const symbol = status.state === 'up' ? '●' : status.state === 'degraded' ? '◐' : status.state === 'down' ? '✕' : '?';
  return (
    <span className={`badge badge--${status.state}`} data-state={status.state}>
      <span aria-hidden="true">{symbol}</span> {t.status.states[status.state]}
    </span>
  );
}

function Row({ name, status, extra, testId }: { name: string; status: ComponentStatus; extra?: string; testId: string }) {
  const { t } = useI18n();
  return (
    <li className="status-row" data-testid={testId}>
      <span className="status-row__name">{name}</span>
      <StateBadge status={status} />
      <span className="status-row__detail">
        {[extra, status.latencyMs !== undefined ? t.status.latency(status.latencyMs) : undefined, status.detail].filter(Boolean).join(' · ')}
      </span>
    </li>
  );
}

export function StatusView({ api }: { api: ApiClient }) {
  const { t, lang } = useI18n();
  const [status, setStatus] = useState<StatusAnswer | undefined>();
  const [failed, setFailed] = useState(false);
  const [loading, setLoading] = useState(false);
  const inflight = useRef<AbortController | undefined>(undefined);

  const load = useCallback(async () => {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    setLoading(true);
    try {
      setStatus(await api.status(controller.signal));
      setFailed(false);
    } catch {
      if (!controller.signal.aborted) setFailed(true);
    } finally {
      if (inflight.current === controller) setLoading(false);
    }
  }, [api]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') void load();
    }, REFRESH_MS);
    return () => {
      clearInterval(timer);
      inflight.current?.abort();
    };
  }, [load]);

  const model = status?.model;
  return (
    <section className="card status" aria-labelledby="status-heading" data-testid="status-view">
      <div className="card__header">
        <h2 id="status-heading">{t.status.services}</h2>
        <button type="button" className="btn btn--secondary btn--small" onClick={() => void load()} disabled={loading} aria-busy={loading}>
          {loading && <Spinner />}
          {loading ? t.status.refreshing : t.status.refresh}
        </button>
      </div>
      {failed && (
        <div className="notice notice--error" role="alert">
          <p className="notice__title">{t.status.loadFailed}</p>
        </div>
      )}
      {status && (
        <>
          <ul className="status-list" aria-live="polite">
            <Row name={t.status.web} status={status.web} extra={`v${status.web.version}`} testId="status-web" />
            <Row name={t.status.was} status={status.was} extra={status.was.ready ? t.status.ready : t.status.notReady} testId="status-was" />
            <Row name={t.status.endpoint} status={status.endpoint} testId="status-endpoint" />
          </ul>
          <h3 className="status__subheading">{t.status.model}</h3>
          {model ? (
            <dl className="model-facts" data-testid="status-model">
              <div>
                <dt>{t.status.modelName}</dt>
                <dd>{model.name}</dd>
              </div>
              <div>
                <dt>{t.status.modelVersion}</dt>
                <dd>{model.version}</dd>
              </div>
              {model.accuracy !== undefined && (
                <div>
                  <dt>{t.status.modelAccuracy}</dt>
                  <dd>{formatPercent(model.accuracy, lang)}</dd>
                </div>
              )}
              {model.labels && (
                <>
                  <div>
                    <dt>{t.status.modelLabels}</dt>
                    <dd>{model.labels.length}</dd>
                  </div>
                  <div className="model-facts__wide">
                    <dt>{t.status.modelClasses}</dt>
                    <dd data-testid="status-classes">{model.labels.map((key) => flowerByKey(key)?.name[lang] ?? key).join(', ')}</dd>
                  </div>
                </>
              )}
            </dl>
          ) : (
            <p className="muted">{t.status.modelUnknown}</p>
          )}
          <p className="muted small">{t.status.checkedAt(formatTime(Date.parse(status.checkedAt), lang, true))}</p>
        </>
      )}
    </section>
  );
}
