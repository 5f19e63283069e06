import { useCallback, useRef, useState, type FormEvent } from 'react';
import type { ConsoleInfo, ConsoleParameter, ConsoleParameterValue, ExecutionDetail, ExecutionSummary, StepLog } from '@petal/contracts';
import type { ConsoleApi } from './api.js';
import { ErrorLine } from './ErrorLine.js';
import { formatBytes, formatDateTime, formatDuration, formatPercentOf } from './format.js';
import { useMediaQuery, usePolling } from './hooks.js';
import { useI18n } from './i18n.js';
import { StepGraph } from './StepGraph.js';

interface Props {
  api: ConsoleApi;
  info: ConsoleInfo | undefined;
  selected: string | undefined;
  select: (id: string | undefined) => void;
}

/** The parameters a person most often sets come first; the rest fold away. */
// The parameters people change most; with the default L-BFGS head, iterations bound the training (epochs are Adam's).
const FIRST = ['data', 'max-iterations', 'approval'];

function StatusPill({ status, label }: { status: string; label: string }) {
  return (
    <span className={`c-pill c-pill--${status}`} data-status={status}>
      {label}
    </span>
  );
}

function StartRunForm({ api, info, onStarted }: { api: ConsoleApi; info: ConsoleInfo; onStarted: (id: string) => void }) {
  const { t } = useI18n();
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const settable = info.parameters.filter((p) => !p.automatic);
  const first = settable.filter((p) => FIRST.includes(p.name));
  const rest = settable.filter((p) => !FIRST.includes(p.name));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parameters: Record<string, ConsoleParameterValue> = {};
    for (const p of settable) {
      const v = values[p.name];
      if (v === undefined || v === '' || v === p.default || (typeof v === 'string' && p.default !== undefined && v === String(p.default))) continue;
      parameters[p.name] = p.type === 'Boolean' ? v === true || v === 'true' : p.type === 'String' ? String(v) : Number(v);
    }
    setBusy(true);
    setError(undefined);
    try {
      const { id } = await api.startRun(parameters);
      onStarted(id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (p: ConsoleParameter) => {
    const id = `param-${p.name}`;
    const value = values[p.name];
    const set = (v: string | boolean) => setValues((old) => ({ ...old, [p.name]: v }));
    let input;
    if (p.enumValues) {
      input = (
        <select id={id} value={String(value ?? p.default ?? '')} onChange={(e) => set(e.target.value)} data-testid={id}>
          {p.enumValues.map((v) => (
            <option key={v} value={v}>
              {v in t.approval ? `${t.approval[v as keyof typeof t.approval]} (${v})` : v}
            </option>
          ))}
        </select>
      );
    } else if (p.type === 'Boolean') {
      input = <input id={id} type="checkbox" checked={Boolean(value ?? p.default)} onChange={(e) => set(e.target.checked)} data-testid={id} />;
    } else {
      input = (
        <input
          id={id}
          type={p.type === 'String' ? 'text' : 'number'}
          step={p.type === 'Float' ? 'any' : undefined}
          inputMode={p.type === 'String' ? undefined : p.type === 'Integer' ? 'numeric' : 'decimal'}
          placeholder={p.default !== undefined ? String(p.default) : p.name === 'data' ? t.pipeline.dataDefault : ''}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => set(e.target.value)}
          data-testid={id}
          spellCheck={false}
          autoComplete="off"
        />
      );
    }
    return (
      <div className="c-field" key={p.name}>
        <label htmlFor={id}>
          <code>{p.name}</code>
        </label>
        {input}
        <small>{p.description}</small>
      </div>
    );
  };

  const disabled = busy || info.actions === 'off';
  return (
    <form className="c-card c-start" onSubmit={(e) => void submit(e)} aria-labelledby="start-heading" data-testid="start-form">
      <h3 id="start-heading">{t.pipeline.startHeading}</h3>
      <p className="c-muted">{t.pipeline.startHint}</p>
      <div className="c-fields">{first.map(field)}</div>
      <details className="c-more">
        <summary>{t.pipeline.moreParameters}</summary>
        <div className="c-fields">{rest.map(field)}</div>
      </details>
      <div className="c-actions">
        <button type="submit" className="c-btn c-btn--primary" disabled={disabled} data-testid="start-run">
          {busy ? t.pipeline.starting : t.pipeline.start}
        </button>
        {info.actions === 'off' && <span className="c-muted">{t.token.off}</span>}
      </div>
      <ErrorLine error={error} testId="start-error" />
    </form>
  );
}

function ExecutionRow({ e, selected, onSelect }: { e: ExecutionSummary; selected: boolean; onSelect: () => void }) {
  const { lang, t } = useI18n();
  return (
    <li>
      <button type="button" className="c-exec" aria-current={selected ? 'true' : undefined} onClick={onSelect} data-testid="execution-row" data-id={e.id} data-status={e.status}>
        <span className="c-exec__id">
          <code>{e.id}</code>
          {e.attempt > 1 && <span className="c-muted"> · {t.pipeline.attempt(e.attempt)}</span>}
        </span>
        <StatusPill status={e.status} label={t.execStatus[e.status]} />
        <span className="c-exec__meta">
          <span title={t.pipeline.columns.started}>{formatDateTime(e.startedAt, lang)}</span>
          <span title={t.pipeline.columns.duration}>{formatDuration(e.durationMs, lang)}</span>
          <span title={t.pipeline.columns.progress}>
            {e.progress.done}/{e.progress.total}
            {e.current ? ` · ${e.current}` : ''}
          </span>
          {e.metrics && <span title={t.pipeline.accuracy}>{formatPercentOf(e.metrics.accuracy, lang)}</span>}
          {e.registered && <span>v{e.registered.version}</span>}
        </span>
        <span className="c-exec__params">
          {Object.entries(e.parameters)
            .filter(([k]) => FIRST.includes(k))
            .map(([k, v]) => (
              <span key={k}>
                {k}={k === 'data' ? String(v).split('/').filter(Boolean).slice(-1)[0] : String(v)}
              </span>
            ))}
        </span>
      </button>
    </li>
  );
}

function ExecutionPanel({ api, id, onClose, onStatus }: { api: ConsoleApi; id: string; onClose: () => void; onStatus: () => void }) {
  const { lang, t } = useI18n();
  const compact = useMediaQuery('(max-width: 700px)');
  const [detail, setDetail] = useState<ExecutionDetail>();
  const [error, setError] = useState<unknown>();
  const [step, setStep] = useState<string>();
  const [log, setLog] = useState<StepLog>();
  const running = !detail || detail.execution.status === 'running';

  const lastStatus = useRef<string>(undefined);
  const load = useCallback(async () => {
    try {
      const next = await api.execution(id);
      setDetail(next);
      setError(undefined);
      // The list beside it shows the same execution: keep the two in step.
      if (lastStatus.current !== undefined && lastStatus.current !== next.execution.status) onStatus();
      lastStatus.current = next.execution.status;
    } catch (err) {
      setError(err);
    }
  }, [api, id, onStatus]);
  usePolling(load, 1000, running);

  const loadLog = useCallback(async () => {
    if (!step) return;
    try {
      setLog(await api.stepLog(id, step));
    } catch (err) {
      setError(err);
    }
  }, [api, id, step]);
  const stepRunning = detail?.steps.find((s) => s.name === step)?.status === 'running';
  usePolling(loadLog, stepRunning ? 1500 : 60_000, step !== undefined);

  const toggleLog = (name: string) => {
    setLog(undefined);
    setStep((old) => (old === name ? undefined : name));
  };

  if (!detail) {
    return (
      <section className="c-card" aria-busy="true" data-testid="execution-detail">
        <p>{t.loading}</p>
        <ErrorLine error={error} />
      </section>
    );
  }
  const e = detail.execution;
  const params = Object.entries(e.parameters);
  return (
    <section className="c-card c-detail" aria-labelledby="exec-heading" data-testid="execution-detail" data-status={e.status}>
      <div className="c-detail__head">
        <h3 id="exec-heading">
          <code>{e.id}</code>
        </h3>
        <StatusPill status={e.status} label={t.execStatus[e.status]} />
        <span className="c-muted">
          {formatDateTime(e.startedAt, lang)} · {formatDuration(e.durationMs, lang)}
          {e.attempt > 1 ? ` · ${t.pipeline.attempt(e.attempt)}` : ''}
        </span>
        <button type="button" className="c-btn c-btn--ghost c-detail__close" onClick={onClose}>
          {t.close}
        </button>
      </div>
      {e.message && <p className="c-message" data-testid="execution-message">{e.message}</p>}
      <div className="c-facts">
        {e.metrics && (
          <span>
            {t.pipeline.accuracy}: <strong>{formatPercentOf(e.metrics.accuracy, lang)}</strong>
          </span>
        )}
        {e.metrics?.inScopeFlowerRate !== undefined && (
          <span data-testid="in-scope-flower-rate">
            {t.pipeline.inScopeFlowerRate}: <strong>{formatPercentOf(e.metrics.inScopeFlowerRate, lang)}</strong>
          </span>
        )}
        {e.metrics?.outOfScopeDetectionRate !== undefined && (
          <span data-testid="out-of-scope-detection">
            {t.pipeline.outOfScopeDetection}: <strong>{formatPercentOf(e.metrics.outOfScopeDetectionRate, lang)}</strong>
          </span>
        )}
        {e.registered && <span>{t.pipeline.registered(e.registered.version, t.approval[e.registered.approval as keyof typeof t.approval] ?? e.registered.approval)}</span>}
        {detail.deployed && <span>{detail.deployed.message}</span>}
      </div>

      <h4>{t.pipeline.graph}</h4>
      <StepGraph graph={detail.graph} steps={detail.steps} compact={compact} selected={step} onSelect={(name) => detail.steps.find((s) => s.name === name)?.hasLog && toggleLog(name)} />

      <h4>{t.pipeline.steps}</h4>
      <div className="c-table-wrap">
        <table className="c-table c-steps">
          <thead>
            <tr>
              <th scope="col">{t.pipeline.stepColumns.step}</th>
              <th scope="col">{t.pipeline.stepColumns.status}</th>
              <th scope="col">{t.pipeline.stepColumns.time}</th>
              <th scope="col">{t.pipeline.stepColumns.message}</th>
              <th scope="col">
                <span className="c-sr">{t.pipeline.log}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {detail.steps.map((s) => (
              <tr key={s.name} data-testid="step-row" data-step={s.name} data-status={s.status}>
                <th scope="row">
                  {s.name}
                  <small className="c-muted"> {s.kind}</small>
                </th>
                <td>
                  <StatusPill status={s.status} label={t.stepStatus[s.status]} />
                </td>
                <td className="c-num">{formatDuration(s.durationMs, lang)}</td>
                <td className="c-msg">{s.cachedFrom ? t.pipeline.cachedFrom(s.cachedFrom) : (s.message ?? '')}</td>
                <td>
                  {s.hasLog && (
                    <button type="button" className="c-btn c-btn--small" aria-expanded={step === s.name} onClick={() => toggleLog(s.name)} data-testid="show-log">
                      {step === s.name ? t.pipeline.hideLog : t.pipeline.showLog}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {step && (
        <div className="c-log" data-testid="step-log">
          <h4>
            {t.pipeline.log} · {step}
          </h4>
          {log?.truncated && <p className="c-muted">{t.pipeline.logTruncated(formatBytes(log.bytes, lang))}</p>}
          <pre tabIndex={0}>{log ? log.text || t.pipeline.logEmpty : t.loading}</pre>
        </div>
      )}
      <details className="c-more">
        <summary>
          {t.pipeline.parameters} ({params.length})
        </summary>
        <dl className="c-params">
          {params.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{String(v)}</dd>
            </div>
          ))}
        </dl>
      </details>
      <ErrorLine error={error} />
    </section>
  );
}

export function PipelineView({ api, info, selected, select }: Props) {
  const { t } = useI18n();
  const [list, setList] = useState<ExecutionSummary[]>();
  const [error, setError] = useState<unknown>();
  const anyRunning = list?.some((e) => e.status === 'running') ?? false;

  const load = useCallback(async () => {
    try {
      setList((await api.executions()).executions);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, [api]);
  usePolling(load, anyRunning ? 1500 : 10_000);

  return (
    <div className="c-view" data-testid="pipeline-view">
      {selected && <ExecutionPanel key={selected} api={api} id={selected} onClose={() => select(undefined)} onStatus={() => void load()} />}
      <section className="c-card" aria-labelledby="executions-heading">
        <div className="c-section-head">
          <h2 id="executions-heading">{t.pipeline.executions}</h2>
          <button type="button" className="c-btn c-btn--ghost" onClick={() => void load()}>
            {t.refresh}
          </button>
        </div>
        <ErrorLine error={error} />
        {list === undefined ? (
          <p>{t.loading}</p>
        ) : list.length === 0 ? (
          <p className="c-muted" data-testid="no-executions">
            {t.pipeline.none}
          </p>
        ) : (
          <ul className="c-execs" data-testid="executions">
            {list.map((e) => (
              <ExecutionRow key={e.id} e={e} selected={e.id === selected} onSelect={() => select(e.id)} />
            ))}
          </ul>
        )}
      </section>
      {info && (
        <StartRunForm
          api={api}
          info={info}
          onStarted={(id) => {
            select(id);
            void load();
          }}
        />
      )}
    </div>
  );
}
