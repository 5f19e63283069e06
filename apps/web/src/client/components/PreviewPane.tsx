import { useState } from 'react';
import { formatBytes } from '../lib/i18n.js';
import type { ChosenImage } from '../lib/classifier-state.js';
import { useI18n } from '../i18n-context.js';
import { Spinner } from './icons.js';

export interface PreviewPaneProps {
  image: ChosenImage;
  busy: boolean;
  onClear: () => void;
  /** Absent once the photo has an answer: the classify button is then not offered. */
  onClassify?: () => void;
}

export function PreviewPane({ image, busy, onClear, onClassify }: PreviewPaneProps) {
  const { t, lang } = useI18n();
  const [broken, setBroken] = useState<string | undefined>(undefined);
  const isBroken = broken === image.previewUrl;
  return (
    <div className="preview">
      <figure className="preview__figure">
        {isBroken ? (
          <div className="preview__placeholder" role="img" aria-label={t.preview.notPreviewable}>
            <span>{t.preview.notPreviewable}</span>
          </div>
        ) : (
          <img src={image.previewUrl} alt={t.preview.alt(image.fileName)} className="preview__img" onError={() => setBroken(image.previewUrl)} data-testid="preview" />
        )}
        <figcaption className="preview__caption">
          <span className="preview__name">{image.fileName}</span>
          <span className="preview__size">{formatBytes(image.file.size, lang)}</span>
        </figcaption>
      </figure>
      <div className="preview__actions">
        {onClassify && (
          <button type="button" className="btn btn--primary btn--large" onClick={onClassify} disabled={busy} aria-busy={busy} data-testid="classify">
            {busy && <Spinner />}
            <span>{busy ? t.classify.busy : t.classify.action}</span>
          </button>
        )}
        <button type="button" className="btn btn--ghost" onClick={onClear} disabled={busy} data-testid="clear">
          {t.preview.clear}
        </button>
      </div>
    </div>
  );
}
