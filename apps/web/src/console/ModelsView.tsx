import { useCallback, useState } from 'react';
import type { ConsoleInfo, EvaluationView, ModelAction, ModelDetail, ModelList, ModelVersion } from '@petal/contracts';
import type { ConsoleApi } from './api.js';
import { ErrorLine } from './ErrorLine.js';
import { formatDateTime, formatNumber, formatPercentOf } from './format.js';
import { usePolling } from './hooks.js';
import { useI18n } from './i18n.js';

interface Props {
  api: ConsoleApi;
  info: ConsoleInfo | undefined;
  selected: number | undefined;
  select: (version: number | undefined) => void;
}

function ApprovalPill({ approval }: { approval: ModelVersion['approval'] }) {
  const { t } = useI18n();
  return (
    <span className={`c-pill c-pill--${approval}`} data-testid="approval" data-approval={approval}>
      {t.approval[approval]}
    </span>
  );
}

/** The actions a version allows now, as the registry's transitions do. */
function actionsFor(v: ModelVersion): ModelAction[] {
  const out: ModelAction[] = [];
  if (v.approval !== 'Approved') out.push('approve');
  if (v.approval !== 'Rejected') out.push('reject');
  if (v.approval === 'Approved' && !v.deployed) out.push('deploy');
  return out;
}

function ConfusionMatrix({ evaluation }: { evaluation: EvaluationView }) {
  const { t } = useI18n();
  const max = Math.max(1, ...evaluation.confusion.flat());
  return (
    <div className="c-table-wrap">
      <p className="c-muted c-hint" id="confusion-hint">
        {t.models.confusionHint}
      </p>
      <table className="c-matrix" data-testid="confusion-matrix" aria-describedby="confusion-hint">
        <thead>
          <tr>
            <th scope="col" className="c-matrix__corner">
              {t.models.actual} \ {t.models.predicted}
            </th>
            {evaluation.labels.map((l) => (
              <th key={l} scope="col" className="c-matrix__col">
                <span>{l}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {evaluation.confusion.map((row, r) => (
            <tr key={evaluation.labels[r]}>
              <th scope="row">{evaluation.labels[r]}</th>
              {row.map((n, c) => {
                // Shade by share of the largest cell: the diagonal reads dark, mistakes stand out in red.
                const level = n === 0 ? 0 : Math.max(1, Math.ceil((n / max) * 4));
                return (
                  <td key={c} className={`c-matrix__cell ${r === c ? 'c-matrix__cell--hit' : n ? 'c-matrix__cell--miss' : ''} c-level-${level}`}>
                    {n}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function VersionPanel({ api, version, onClose, refreshKey }: { api: ConsoleApi; version: number; onClose: () => void; refreshKey: number }) {
  const { lang, t } = useI18n();
  const [detail, setDetail] = useState<ModelDetail>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(async () => {
    try {
      setDetail(await api.model(version));
      setError(undefined);
    } catch (err) {
      setError(err);
    }
    // refreshKey is in the list so that an action on the version loads it again.
  }, [api, version, refreshKey]);
  usePolling(load, 30_000);
  if (!detail) {
    return (
      <section className="c-card" data-testid="version-detail">
        <p>{t.loading}</p>
        <ErrorLine error={error} />
      </section>
    );
  }
  const { model: m, evaluation: ev } = detail;
  return (
    <section className="c-card c-detail" aria-labelledby="version-heading" data-testid="version-detail">
      <div className="c-detail__head">
        <h3 id="version-heading">
          {t.models.columns.version} {m.version}
        </h3>
        <ApprovalPill approval={m.approval} />
        {m.deployed && <span className="c-badge">{t.models.deployedBadge}</span>}
        <button type="button" className="c-btn c-btn--ghost c-detail__close" onClick={onClose}>
          {t.close}
        </button>
      </div>
      <dl className="c-params">
        <div>
          <dt>{t.models.model}</dt>
          <dd>
            {m.modelName} {m.modelVersion}
          </dd>
        </div>
        <div>
          <dt>{t.models.commit}</dt>
          <dd>
            <code>{m.gitCommit.slice(0, 12)}</code>
          </dd>
        </div>
        <div>
          <dt>{t.models.columns.created}</dt>
          <dd>{formatDateTime(m.createdAt, lang)}</dd>
        </div>
      </dl>
      <h4>{t.models.evaluation}</h4>
      {ev ? (
        <>
          <div className="c-facts">
            <span>
              {t.models.columns.accuracy}: <strong>{formatPercentOf(ev.accuracy, lang)}</strong>
            </span>
            <span>
              {t.models.columns.macroF1}: <strong>{formatNumber(ev.macroF1, lang)}</strong>
            </span>
            <span>{t.models.evaluatedOn(ev.itemCount, ev.mistakes)}</span>
            {ev.report && (
              <a href={`/api/console/models/${m.version}/report`} target="_blank" rel="noopener noreferrer" data-testid="report-link">
                {t.models.report}
              </a>
            )}
          </div>
          <h4>{t.models.confusion}</h4>
          <ConfusionMatrix evaluation={ev} />
          <h4>{t.models.perClass}</h4>
          <div className="c-table-wrap">
            <table className="c-table">
              <thead>
                <tr>
                  <th scope="col">{t.models.classColumns.label}</th>
                  <th scope="col" className="c-num">
                    {t.models.classColumns.precision}
                  </th>
                  <th scope="col" className="c-num">
                    {t.models.classColumns.recall}
                  </th>
                  <th scope="col" className="c-num">
                    {t.models.classColumns.f1}
                  </th>
                  <th scope="col" className="c-num">
                    {t.models.classColumns.support}
                  </th>
                </tr>
              </thead>
              <tbody>
                {ev.perClass.map((c) => (
                  <tr key={c.label}>
                    <th scope="row">{c.label}</th>
                    <td className="c-num">{formatNumber(c.precision, lang)}</td>
                    <td className="c-num">{formatNumber(c.recall, lang)}</td>
                    <td className="c-num">{formatNumber(c.f1, lang)}</td>
                    <td className="c-num">{c.support}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : (
        <p className="c-muted">{t.models.noEvaluation}</p>
      )}
      <h4>{t.models.history}</h4>
      <ol className="c-history">
        {m.history.map((h) => (
          <li key={`${h.at}-${h.status}`}>
            <ApprovalPill approval={h.status} /> <span className="c-muted">{formatDateTime(h.at, lang)}</span> · {h.by}
            {h.reason ? ` — ${h.reason}` : ''}
          </li>
        ))}
      </ol>
      <ErrorLine error={error} />
    </section>
  );
}

export function ModelsView({ api, info, selected, select }: Props) {
  const { lang, t } = useI18n();
  const [list, setList] = useState<ModelList>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();
  const [actionError, setActionError] = useState<unknown>();
  const [refreshKey, setRefreshKey] = useState(0);

  const load = useCallback(async () => {
    try {
      setList(await api.models());
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, [api]);
  usePolling(load, 10_000);

  const act = async (version: number, action: ModelAction) => {
    setBusy(`${version}:${action}`);
    setOutcome(undefined);
    setActionError(undefined);
    try {
      const answer = await api.act(version, action);
      setOutcome({ ok: action !== 'deploy' || answer.deployed === true, message: answer.message });
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(undefined);
      setRefreshKey((k) => k + 1);
      await load();
    }
  };

  const actionsOff = info?.actions === 'off';
  const deployedVersion = list?.deployed?.version;
  return (
    <div className="c-view" data-testid="models-view">
      <section className="c-card" aria-labelledby="models-heading">
        <div className="c-section-head">
          <h2 id="models-heading">{list ? t.models.group(list.group) : t.models.heading}</h2>
          <button type="button" className="c-btn c-btn--ghost" onClick={() => void load()}>
            {t.refresh}
          </button>
        </div>
        {list && (
          <p className="c-deployed" data-testid="deployed-now">
            {list.deployed ? t.models.deployedNow(list.deployed.version) : t.models.nothingDeployed}
            {list.deployed && <span className="c-muted"> · {formatDateTime(list.deployed.deployedAt, lang)} · {list.deployed.by}</span>}
          </p>
        )}
        {outcome && (
          <p className={outcome.ok ? 'c-ok' : 'c-alert'} role="status" data-testid="action-outcome">
            {outcome.message}
          </p>
        )}
        <ErrorLine error={actionError} testId="action-error" />
        <ErrorLine error={error} />
        {actionsOff && <p className="c-muted">{t.token.off}</p>}
        {list === undefined ? (
          <p>{t.loading}</p>
        ) : list.versions.length === 0 ? (
          <p className="c-muted">{t.models.none}</p>
        ) : (
          <ul className="c-versions" data-testid="versions">
            {list.versions.map((v) => (
              <li key={v.version} className={`c-version${v.deployed ? ' c-version--deployed' : ''}`} data-testid="version-row" data-version={v.version} aria-current={v.version === selected ? 'true' : undefined}>
                <div className="c-version__main">
                  <strong className="c-version__no">v{v.version}</strong>
                  <ApprovalPill approval={v.approval} />
                  {v.deployed && (
                    <span className="c-badge" data-testid="deployed-badge">
                      {t.models.deployedBadge}
                    </span>
                  )}
                </div>
                <div className="c-version__metrics">
                  <span>
                    {t.models.columns.accuracy} <strong>{formatPercentOf(v.metrics.accuracy, lang)}</strong>
                  </span>
                  <span>
                    {t.models.columns.macroF1} <strong>{formatNumber(v.metrics.macroF1, lang)}</strong>
                  </span>
                  <span>
                    {t.models.columns.testSize} <strong>{v.metrics.testSize}</strong>
                  </span>
                  <span className="c-muted">{formatDateTime(v.createdAt, lang)}</span>
                </div>
                <div className="c-version__actions">
                  <button type="button" className="c-btn c-btn--small c-btn--ghost" onClick={() => select(v.version)} data-testid="version-details">
                    {t.models.details}
                  </button>
                  {actionsFor(v).map((action) => (
                    <button
                      key={action}
                      type="button"
                      className={`c-btn c-btn--small${action === 'reject' ? ' c-btn--danger' : action === 'deploy' ? ' c-btn--primary' : ''}`}
                      disabled={busy !== undefined || actionsOff}
                      onClick={() => void act(v.version, action)}
                      data-testid={`action-${action}`}
                    >
                      {busy === `${v.version}:${action}` ? '…' : action === 'deploy' && deployedVersion !== undefined && v.version < deployedVersion ? t.models.rollback : t.models[action]}
                    </button>
                  ))}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      {selected !== undefined && <VersionPanel key={selected} api={api} version={selected} refreshKey={refreshKey} onClose={() => select(undefined)} />}
    </div>
  );
}
