import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { ApiCallError, type ApiClient } from '../lib/api-client.js';
import type { ApiFailure, ErrorKind } from '../lib/api-errors.js';
import { classifierReducer, currentImage, initialClassifierState, type ChosenImage } from '../lib/classifier-state.js';
import { DOWNSCALE, makeThumbnail, prepareUpload } from '../lib/downscale.js';
import { localizeResponse } from '../lib/localize.js';
import { addRecent, clearRecent, loadRecent, type RecentEntry } from '../lib/recent-history.js';
import { useI18n } from '../i18n-context.js';
import { sampleFile } from '../lib/samples.js';
import { firstFile, ImagePicker } from './ImagePicker.js';
import { ErrorNotice } from './ErrorNotice.js';
import { KnownFlowers } from './KnownFlowers.js';
import { PreviewPane } from './PreviewPane.js';
import { RecentList } from './RecentList.js';
import { ResultCard } from './ResultCard.js';
import { FlowerMark } from './icons.js';

const REFUSED_HERE: ReadonlySet<ErrorKind> = new Set(['empty', 'not_image', 'too_large']);

export interface ClassifyViewProps {
  api: ApiClient;
  session: Storage | undefined;
  prepare?: typeof prepareUpload;
  thumbnail?: typeof makeThumbnail;
  /** The loaded model's label keys, when the page could learn them. */
  labels?: readonly string[] | undefined;
}

function newId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export function ClassifyView({ api, session, prepare = prepareUpload, thumbnail = makeThumbnail, labels }: ClassifyViewProps) {
  const { t, lang } = useI18n();
  const [state, dispatch] = useReducer(classifierReducer, initialClassifierState);
  const [recent, setRecent] = useState<RecentEntry[]>(() => loadRecent(session));
  const attemptSeq = useRef(0);
  const inflight = useRef<AbortController | undefined>(undefined);
  const image = currentImage(state);
  const busy = state.phase === 'busy';

  // A preview's blob: URL is released once another photo (or none) replaces it. Not in an effect
  // cleanup: StrictMode runs those on a live image in development and would blank the preview.
  const lastPreview = useRef<string | undefined>(undefined);
  useEffect(() => {
    const previous = lastPreview.current;
    lastPreview.current = image?.previewUrl;
    if (previous && previous !== image?.previewUrl) URL.revokeObjectURL(previous);
  }, [image]);

  const choose = useCallback((file: File): ChosenImage | undefined => {
    inflight.current?.abort();
    // Caught here, before any upload: an empty file has no picture to show or send.
    if (file.size === 0) {
      dispatch({ type: 'rejected', failure: { kind: 'empty' } });
      return undefined;
    }
    const chosen: ChosenImage = { file, fileName: file.name || 'photo', previewUrl: URL.createObjectURL(file) };
    dispatch({ type: 'select', image: chosen });
    return chosen;
  }, []);

  const clear = useCallback(() => {
    inflight.current?.abort();
    dispatch({ type: 'clear' });
  }, []);

  // Paste anywhere on the page (the picker is not a text field, so nothing else wants Ctrl/Cmd-V).
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = firstFile(event.clipboardData?.items) ?? firstFile(event.clipboardData?.files);
      if (!file) return;
      event.preventDefault();
      choose(file.name ? file : new File([file], `pasted.${file.type.split('/')[1] ?? 'png'}`, { type: file.type }));
    };
    // A file dropped beside the drop zone must not make the browser navigate away to it.
    const stopNavigate = (event: DragEvent) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    };
    window.addEventListener('paste', onPaste);
    window.addEventListener('dragover', stopNavigate);
    window.addEventListener('drop', stopNavigate);
    return () => {
      window.removeEventListener('paste', onPaste);
      window.removeEventListener('dragover', stopNavigate);
      window.removeEventListener('drop', stopNavigate);
    };
  }, [choose]);

  const classifyImage = useCallback(async (image: ChosenImage) => {
    attemptSeq.current += 1;
    const attempt = attemptSeq.current;
    const controller = new AbortController();
    inflight.current = controller;
    dispatch({ type: 'submit', attempt });
    try {
      const upload = await prepare(image.file, image.fileName);
      if (upload.blob.size > DOWNSCALE.maxUploadBytes) {
        dispatch({ type: 'failed', attempt, failure: { kind: 'too_large' } });
        return;
      }
      const response = await api.classify(upload.blob, upload.fileName, lang, controller.signal);
      dispatch({ type: 'succeeded', attempt, response });
      const thumb = await thumbnail(upload.blob);
      setRecent(
        addRecent(session, {
          id: newId(),
          at: Date.now(),
          fileName: image.fileName,
          ...(thumb ? { thumb } : {}),
          result: { no: response.result.no, name: response.result.name, acc: response.result.acc },
          confident: response.confident,
          verdict: response.verdict,
          top: response.top.slice(0, 3),
        }),
      );
    } catch (err) {
      if (controller.signal.aborted) return; // replaced or cleared: nobody waits for this answer
      const failure: ApiFailure = err instanceof ApiCallError ? err.failure : { kind: 'unknown' };
      dispatch({ type: 'failed', attempt, failure });
    }
  }, [api, lang, prepare, session, thumbnail]);

  const classify = useCallback(() => {
    if (image && !busy) void classifyImage(image);
  }, [busy, classifyImage, image]);

  // A sample goes through exactly the path of a person's own photo, and is identified at once: one click.
  const sampleAbort = useRef<AbortController | undefined>(undefined);
  const trySample = useCallback(
    async (key: string) => {
      sampleAbort.current?.abort();
      const controller = new AbortController();
      sampleAbort.current = controller;
      try {
        const chosen = choose(await sampleFile(key, controller.signal));
        if (chosen) await classifyImage(chosen);
      } catch {
        if (!controller.signal.aborted) dispatch({ type: 'rejected', failure: { kind: 'network' } });
      }
    },
    [choose, classifyImage],
  );

  useEffect(() => () => inflight.current?.abort(), []);

  // On a phone the answer lands below the photo. Focus moves to its heading, which brings it into view
  // and has a screen reader read it once, as the new place on the page (no live region repeats it).
  const answerRef = useRef<HTMLElement>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (state.phase === 'result') resultHeading.current?.focus();
    else if (state.phase === 'error') {
      const el = answerRef.current;
      if (!el || typeof el.scrollIntoView !== 'function') return;
      const rect = el.getBoundingClientRect();
      if (rect.top >= 0 && rect.top < window.innerHeight - 120) return;
      const reduce = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
      el.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
    }
  }, [state]);

  const shown = useMemo(() => (state.phase === 'result' ? localizeResponse(state.response, lang) : undefined), [state, lang]);

  // Refused here, before any upload (empty, not drawable, too large to send): said beside the photo
  // picker, where the person is, rather than in an answer card there is no answer for.
  const refusedHere = state.phase === 'error' && state.failure.status === undefined && REFUSED_HERE.has(state.failure.kind);
  const idle = state.phase === 'idle' || refusedHere;
  return (
    <div className="classify-layout">
      <section className="card picker-card" aria-labelledby="picker-heading">
        <h2 id="picker-heading">{image ? t.preview.heading : t.picker.heading}</h2>
        {image ? (
          <>
            <PreviewPane
              key={image.previewUrl}
              image={image}
              busy={busy}
              onClear={clear}
              // After an answer the photo has been judged: the next step is another photo (or the error's
              // own "try again"), not the same request again.
              {...(state.phase === 'selected' || busy ? { onClassify: classify } : {})}
              onUnpreviewable={() => dispatch({ type: 'rejected', image, failure: { kind: 'not_image' } })}
              focusClassify={state.phase === 'selected'}
            />
            <ImagePicker onPick={choose} disabled={busy} compact />
          </>
        ) : (
          <ImagePicker onPick={choose} />
        )}
        {refusedHere && <ErrorNotice failure={state.failure} />}
      </section>

      {!idle && (
        <section className="card answer-card" aria-labelledby="answer-heading" aria-busy={busy} ref={answerRef}>
          <h2 id="answer-heading" className="visually-hidden">
            {t.result.heading}
          </h2>
          {shown && <ResultCard response={shown} photoUrl={image?.previewUrl} knownCount={labels?.length} headingRef={resultHeading} />}
          {busy && (
            <div className="answer-placeholder answer-placeholder--busy" data-testid="busy">
              <span className="bloom" aria-hidden="true">
                <FlowerMark size={56} />
              </span>
              <p role="status">{t.classify.busy}</p>
            </div>
          )}
          {state.phase === 'error' && <ErrorNotice failure={state.failure} {...(state.image ? { onRetry: classify } : {})} />}
          {state.phase === 'selected' && (
            <div className="answer-placeholder" data-testid="placeholder">
              <FlowerMark size={56} />
              <p>{t.result.placeholder}</p>
            </div>
          )}
        </section>
      )}

      {labels && labels.length > 0 && <KnownFlowers labels={labels} onTry={(key) => void trySample(key)} disabled={busy} wide={!idle} />}

      <RecentList entries={recent} onClear={() => setRecent(clearRecent(session))} />
    </div>
  );
}
