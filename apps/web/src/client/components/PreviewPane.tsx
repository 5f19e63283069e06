import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../lib/i18n.js';
import type { ChosenImage } from '../lib/classifier-state.js';
import { useI18n } from '../i18n-context.js';
import { Spinner } from './icons.js';

export interface PreviewPaneProps {
  image: ChosenImage;
  busy: boolean;
  onClear: () => void;
  /** Absent once the photo has an answer (or cannot be one): the classify button is then not offered. */
  onClassify?: () => void;
  /** The browser could not draw the file: it is no photo Petal could read either. */
  onUnpreviewable?: () => void;
  /** Move focus to "Identify" once it is offered (after a photo was chosen, not after an answer). */
  focusClassify?: boolean;
}

export function PreviewPane({ image, busy, onClear, onClassify, onUnpreviewable, focusClassify = false }: PreviewPaneProps) {
  const { t, lang } = useI18n();
  const [broken, setBroken] = useState<string | undefined>(undefined);
  // "Identify" is offered only once the browser has drawn the photo: a file it cannot draw (a text file,
  // a damaged or unsupported image) is no photo Petal could read, so it is never sent.
  const [drawn, setDrawn] = useState<string | undefined>(undefined);
  const isBroken = broken === image.previewUrl;
  const offered = !!onClassify && drawn === image.previewUrl;
  const classifyButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (offered && focusClassify) classifyButton.current?.focus();
  }, [offered, focusClassify]);
  return (
    <div className="preview">
      <figure className="preview__figure">
        {isBroken ? (
          <div className="preview__placeholder" role="img" aria-label={t.preview.notPreviewable} data-testid="not-previewable">
            <span>{t.preview.notPreviewable}</span>
          </div>
        ) : (
          <img
            src={image.previewUrl}
            alt={t.preview.alt(image.fileName)}
            className="preview__img"
            onLoad={() => setDrawn(image.previewUrl)}
            onError={() => {
              setBroken(image.previewUrl);
              onUnpreviewable?.();
            }}
            data-testid="preview"
          />
        )}
        <figcaption className="preview__caption">
          <span className="preview__name">{image.fileName}</span>
          <span className="preview__size">{formatBytes(image.file.size, lang)}</span>
        </figcaption>
      </figure>
      <div className="preview__actions">
        {offered && (
          <button type="button" className="btn btn--primary btn--large" onClick={onClassify} disabled={busy} aria-busy={busy} data-testid="classify" ref={classifyButton}>
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
