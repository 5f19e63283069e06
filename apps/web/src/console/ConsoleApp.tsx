import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ConsoleInfo } from '@petal/contracts';
import { initialLang, LANGS, rememberLang, type Lang } from '../client/lib/i18n.js';
import { createConsoleApi } from './api.js';
import { ErrorLine } from './ErrorLine.js';
import { ConsoleI18nContext } from './i18n.js';
import { CONSOLE_MESSAGES } from './messages.js';
import { ModelsView } from './ModelsView.js';
import { PipelineView } from './PipelineView.js';

const TOKEN_KEY = 'petal.console.token';
const LANG_NAMES: Record<Lang, string> = { ko: '한국어', en: 'English' };

type Route = { view: 'pipeline'; execution?: string } | { view: 'models'; version?: number };

/** `#pipeline`, `#pipeline/<execution id>`, `#models`, `#models/<version>`. */
function routeFromHash(hash: string): Route {
  const [view, arg] = hash.replace(/^#/, '').split('/');
  if (view === 'models') {
    const version = Number(arg);
    return Number.isInteger(version) && version > 0 ? { view: 'models', version } : { view: 'models' };
  }
  return arg ? { view: 'pipeline', execution: arg } : { view: 'pipeline' };
}

function storage(name: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return window[name];
  } catch {
    return undefined;
  }
}

/**
 * The MLOps console page: the pipeline's executions and the model registry, in the classifier's two
 * languages (the language choice is shared with it). The admin token lives in this tab's sessionStorage
 * only and goes out as a bearer token on the console's API calls.
 */
export function ConsoleApp() {
  const [lang, setLangState] = useState<Lang>(() => initialLang(storage('localStorage'), navigator.languages));
  const [route, setRoute] = useState<Route>(() => routeFromHash(location.hash));
  const [token, setToken] = useState(() => storage('sessionStorage')?.getItem(TOKEN_KEY) ?? '');
  const [draft, setDraft] = useState('');
  const [info, setInfo] = useState<ConsoleInfo>();
  const [infoError, setInfoError] = useState<unknown>();
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const api = useMemo(() => createConsoleApi(() => tokenRef.current), []);
  const t = CONSOLE_MESSAGES[lang];

  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    rememberLang(storage('localStorage'), next);
  }, []);
  const i18n = useMemo(() => ({ lang, t, setLang }), [lang, t, setLang]);

  useEffect(() => {
    const onHash = () => setRoute(routeFromHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${route.view === 'models' ? t.models.heading : t.pipeline.heading} · ${t.title}`;
  }, [lang, route.view, t]);

  useEffect(() => {
    api.info().then(
      (i) => {
        setInfo(i);
        setInfoError(undefined);
      },
      (err: unknown) => setInfoError(err),
    );
  }, [api, token]);

  const go = (hash: string) => {
    if (location.hash !== hash) location.hash = hash;
  };

  const applyToken = (event: FormEvent) => {
    event.preventDefault();
    const value = draft.trim();
    setToken(value);
    setDraft('');
    try {
      if (value) storage('sessionStorage')?.setItem(TOKEN_KEY, value);
      else storage('sessionStorage')?.removeItem(TOKEN_KEY);
    } catch {
      // kept for this page only
    }
  };
  const forgetToken = () => {
    setToken('');
    try {
      storage('sessionStorage')?.removeItem(TOKEN_KEY);
    } catch {
      // nothing stored
    }
  };

  return (
    <ConsoleI18nContext.Provider value={i18n}>
      <a className="c-skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {t.skip}
      </a>
      <header className="c-header">
        <div className="c-header__inner">
          <a className="c-brand" href="/" title={t.nav.classifier}>
            <span className="c-brand__mark" aria-hidden="true">
              ✿
            </span>
            <span>Petal</span>
            <span className="c-brand__sub">MLOps</span>
          </a>
          <nav aria-label={t.nav.label} className="c-nav">
            <a href="#pipeline" aria-current={route.view === 'pipeline' ? 'page' : undefined} data-testid="nav-pipeline">
              {t.nav.pipeline}
            </a>
            <a href="#models" aria-current={route.view === 'models' ? 'page' : undefined} data-testid="nav-models">
              {t.nav.models}
            </a>
          </nav>
          <div className="c-lang" role="group" aria-label={t.languageLabel}>
            {LANGS.map((l) => (
              <button key={l} type="button" lang={l} aria-pressed={lang === l} onClick={() => setLang(l)} data-testid={`lang-${l}`}>
                {LANG_NAMES[l]}
              </button>
            ))}
          </div>
        </div>
      </header>
      <main id="main" className="c-main" tabIndex={-1}>
        <div className="c-titlebar">
          <h1>{route.view === 'models' ? t.models.heading : t.pipeline.heading}</h1>
          {info?.actions === 'token' && (
            <form className="c-token" onSubmit={applyToken} data-testid="token-form">
              {token ? (
                <>
                  <span className="c-token__set" data-testid="token-set">
                    {t.token.saved}
                  </span>
                  <button type="button" className="c-btn c-btn--small c-btn--ghost" onClick={forgetToken} data-testid="token-forget">
                    {t.token.clear}
                  </button>
                </>
              ) : (
                <>
                  <label htmlFor="admin-token">{t.token.label}</label>
                  <input
                    id="admin-token"
                    type="password"
                    autoComplete="off"
                    placeholder={t.token.placeholder}
                    value={draft}
                    onChange={(e) => setDraft(e.target.value)}
                    data-testid="token-input"
                  />
                  <button type="submit" className="c-btn c-btn--small" data-testid="token-use">
                    {t.token.save}
                  </button>
                </>
              )}
            </form>
          )}
          {info?.actions === 'open' && <span className="c-muted c-token__note">{t.token.open}</span>}
        </div>
        <ErrorLine error={infoError} />
        {route.view === 'pipeline' ? (
          <PipelineView api={api} info={info} selected={route.execution} select={(id) => go(id ? `#pipeline/${id}` : '#pipeline')} />
        ) : (
          <ModelsView api={api} info={info} selected={route.version} select={(v) => go(v ? `#models/${v}` : '#models')} />
        )}
      </main>
    </ConsoleI18nContext.Provider>
  );
}
