import { flowerByKey } from '@petal/catalog';
import { sampleUrl } from '../lib/samples.js';
import { useI18n } from '../i18n-context.js';
import { FlowerMark } from './icons.js';

export interface KnownFlowersProps {
  /** The loaded model's label keys, in its order (from /api/status). */
  labels: readonly string[];
  onTry: (key: string) => void;
  disabled?: boolean;
  wide?: boolean;
}

/**
 * What Petal can tell apart: the loaded model's classes, each with its sample picture as a button that
 * classifies it at once. A class the catalog has no name for shows its raw key; one without a picture is
 * listed but cannot be tried.
 */
export function KnownFlowers({ labels, onTry, disabled = false, wide = false }: KnownFlowersProps) {
  const { t, lang } = useI18n();
  return (
    <section className={`card known${wide ? ' known--wide' : ''}`} aria-labelledby="known-heading" data-testid="known">
      <h2 id="known-heading">{t.known.heading(labels.length)}</h2>
      <p className="muted known__hint">{t.known.hint}</p>
      <ul className="known__list">
        {labels.map((key) => {
          const name = flowerByKey(key)?.name[lang] ?? key;
          const src = sampleUrl(key);
          return (
            <li key={key} className="known__item" data-testid="known-flower" data-key={key}>
              {src ? (
                <button type="button" className="known__try" onClick={() => onTry(key)} disabled={disabled} aria-label={t.known.tryIt(name)} data-testid={`sample-${key}`}>
                  <img src={src} alt="" className="known__img" width={160} height={160} decoding="async" />
                  <span className="known__name">{name}</span>
                </button>
              ) : (
                <span className="known__try known__try--none">
                  <span className="known__img known__img--none">
                    <FlowerMark size={40} />
                  </span>
                  <span className="known__name">{name}</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <p className="muted small known__credit">{t.known.credit}</p>
    </section>
  );
}
