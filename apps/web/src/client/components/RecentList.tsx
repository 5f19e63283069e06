import { formatConfidence, formatTime } from '../lib/i18n.js';
import { flowerName } from '../lib/localize.js';
import type { RecentEntry } from '../lib/recent-history.js';
import { useI18n } from '../i18n-context.js';
import { FlowerMark } from './icons.js';

export function RecentList({ entries, onClear }: { entries: RecentEntry[]; onClear: () => void }) {
  const { t, lang } = useI18n();
  return (
    <section className="card recent" aria-labelledby="recent-heading" data-testid="recent">
      <div className="card__header">
        <h2 id="recent-heading">{t.recent.heading}</h2>
        {entries.length > 0 && (
          <button type="button" className="btn btn--ghost btn--small" onClick={onClear} data-testid="clear-recent">
            {t.recent.clear}
          </button>
        )}
      </div>
      {entries.length === 0 ? (
        <p className="muted">{t.recent.empty}</p>
      ) : (
        <ul className="recent__list">
          {entries.map((e) => {
            // An out-of-scope answer names no flower, here as on the result card.
            const name = e.verdict === 'unknown' ? t.result.unknownTitle : flowerName(e.result.no, e.result.name, lang);
            return (
              <li key={e.id} className="recent__item" data-testid="recent-item">
                {e.thumb ? (
                  <img className="recent__thumb" src={e.thumb} alt={t.recent.thumbAlt(name)} width={64} height={64} />
                ) : (
                  <span className="recent__thumb recent__thumb--empty">
                    <FlowerMark size={28} />
                  </span>
                )}
                <span className="recent__text">
                  <span className="recent__name">{name}</span>
                  <span className="recent__meta">
                    {e.verdict !== 'unknown' && `${formatConfidence(e.result.acc, lang)} · `}
                    {e.verdict === 'unsure' || (e.verdict === undefined && !e.confident) ? `${t.recent.notSure} · ` : ''}
                    <time dateTime={new Date(e.at).toISOString()}>{formatTime(e.at, lang)}</time>
                  </span>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
