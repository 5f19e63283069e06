import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Lang } from '@petal/catalog';
import { createApiClient, type ApiClient } from './lib/api-client.js';
import { initialLang, LANGS, messagesFor, rememberLang } from './lib/i18n.js';
import { ClassifyView, type ClassifyViewProps } from './components/ClassifyView.js';
import { StatusView } from './components/StatusView.js';
import { FlowerMark } from './components/icons.js';
import { I18nContext } from './i18n-context.js';

type View = 'classify' | 'status';

/** navigator.onLine, kept current: offline, the page still opens (from the service worker) but cannot identify. */
function useOnline(): boolean {
  const [online, setOnline] = useState(() => typeof navigator === 'undefined' || navigator.onLine !== false);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine !== false);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/** Storage that may be missing or throw on access (privacy modes); the app works without it. */
function storageOf(name: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return typeof window === 'undefined' ? undefined : window[name];
  } catch {
    return undefined;
  }
}

const viewFromHash = (): View => (typeof location !== 'undefined' && location.hash === '#status' ? 'status' : 'classify');

const LANG_NAMES: Record<Lang, string> = { ko: '한국어', en: 'English' };

export interface AppProps {
  api?: ApiClient;
  local?: Storage;
  session?: Storage;
  languages?: readonly string[];
  prepare?: ClassifyViewProps['prepare'];
  thumbnail?: ClassifyViewProps['thumbnail'];
}

export function App({ api, local = storageOf('localStorage'), session = storageOf('sessionStorage'), languages, prepare, thumbnail }: AppProps) {
  const client = useMemo(() => api ?? createApiClient(), [api]);
  const [lang, setLangState] = useState<Lang>(() => initialLang(local, languages ?? (typeof navigator === 'undefined' ? [] : navigator.languages)));
  const [view, setView] = useState<View>(viewFromHash);
  const t = messagesFor(lang);

  const setLang = useCallback(
    (next: Lang) => {
      setLangState(next);
      rememberLang(local, next);
    },
    [local],
  );

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = view === 'status' ? `${t.status.heading} · ${t.appName}` : `${t.appName} · ${t.nav.classify}`;
  }, [lang, view, t]);

  // The flowers the loaded model knows, for the first screen. Read once: a page that cannot learn them
  // still works, it only does not list them.
  const [labels, setLabels] = useState<readonly string[] | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    client.status(controller.signal).then(
      (status) => setLabels(status.model?.labels),
      () => undefined,
    );
    return () => controller.abort();
  }, [client]);

  const online = useOnline();

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const i18n = useMemo(() => ({ lang, t, setLang }), [lang, t, setLang]);

  return (
    <I18nContext.Provider value={i18n}>
      <a className="skip-link" href="#main">
        {t.skip}
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <a className="brand" href="#">
            <FlowerMark size={36} />
            <span className="brand__name">{t.appName}</span>
          </a>
          <nav aria-label={t.nav.label} className="nav">
            <a href="#" className="nav__link" aria-current={view === 'classify' ? 'page' : undefined} data-testid="nav-classify">
              {t.nav.classify}
            </a>
            <a href="#status" className="nav__link" aria-current={view === 'status' ? 'page' : undefined} data-testid="nav-status">
              {t.nav.status}
            </a>
          </nav>
          <div className="lang-switch" role="group" aria-label={t.languageLabel}>
            {LANGS.map((l) => (
              <button key={l} type="button" lang={l} className="lang-switch__btn" aria-pressed={lang === l} onClick={() => setLang(l)} data-testid={`lang-${l}`}>
                {LANG_NAMES[l]}
              </button>
            ))}
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {!online && (
          <p className="notice notice--offline" role="status" data-testid="offline">
            {t.offline}
          </p>
        )}
        {/* One h1 for whichever view shows. */}
        <h1 className="page-title" data-testid="page-title">
          {view === 'status' ? t.status.heading : t.title}
        </h1>
        {/* Kept mounted while the status view shows, so the chosen photo and answer survive a look at it. */}
        <div hidden={view !== 'classify'}>
          <p className="tagline">{t.tagline}</p>
          <ClassifyView api={client} session={session} labels={labels} {...(prepare ? { prepare } : {})} {...(thumbnail ? { thumbnail } : {})} />
        </div>
        {view === 'status' && <StatusView api={client} />}
      </main>
      <footer className="site-footer">
        <p>{t.footer}</p>
      </footer>
    </I18nContext.Provider>
  );
}
