import type { Ref } from 'react';
import type { Candidate, ClassifyAnswer } from '@petal/contracts';
import { sampleUrl } from '../lib/samples.js';
import { useI18n } from '../i18n-context.js';
import { ConfidenceBar } from './ConfidenceBar.js';

export interface ResultCardProps {
  response: ClassifyAnswer;
  /** The person's own photo (its preview URL), shown small so the answer sits beside what it is about. */
  photoUrl?: string;
  /** How many flowers the loaded model knows, when the page could find out. */
  knownCount?: number;
  /** Focus lands here when the answer arrives: the heading is read once, as the new place on the page. */
  headingRef?: Ref<HTMLHeadingElement>;
}

function CandidateList({ items, heading }: { items: Candidate[]; heading: string }) {
  const { t } = useI18n();
  if (items.length === 0) return null;
  return (
    <section className="candidates" aria-labelledby="candidates-heading">
      <h3 id="candidates-heading" className="candidates__heading">
        {heading}
      </h3>
      <ol className="candidates__list">
        {items.map((c) => {
          const ref = sampleUrl(c.key);
          return (
            <li key={c.no} className="candidates__item" data-testid="candidate">
              {ref ? <img src={ref} alt={t.result.reference(c.name)} className="candidates__img" width={40} height={40} /> : <span className="candidates__img" />}
              <span className="candidates__name">{c.name}</span>
              <ConfidenceBar value={c.probability} label={c.name} tone="muted" small />
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/**
 * The answer, in one of three states: a named flower with its confidence; "not sure", with the likely
 * flowers as candidates and no single answer; or "not a flower Petal knows", which names none.
 */
export function ResultCard({ response, photoUrl, knownCount, headingRef }: ResultCardProps) {
  const { t } = useI18n();
  const { result, top, verdict, model } = response;
  const reference = verdict === 'flower' ? sampleUrl(top.find((c) => c.no === result.no)?.key ?? '') : undefined;
  return (
    <article className={`result result--${verdict}`} data-testid="result" data-verdict={verdict} data-confident={response.confident}>
      <div className="result__pictures">
        {photoUrl && (
          <figure className="result__figure">
            <img src={photoUrl} alt={t.result.yourPhoto} className="result__thumb" data-testid="result-photo" />
            <figcaption>{t.result.yourPhoto}</figcaption>
          </figure>
        )}
        {reference && (
          <figure className="result__figure">
            <img src={reference} alt={t.result.reference(result.name)} className="result__thumb" data-testid="result-reference" />
            <figcaption>{result.name}</figcaption>
          </figure>
        )}
      </div>
      {verdict === 'flower' && (
        <>
          <p className="result__eyebrow">{t.result.heading}</p>
          <h2 className="result__name" data-testid="result-name" tabIndex={-1} ref={headingRef}>
            {result.name}
          </h2>
          <ConfidenceBar value={result.acc} label={t.result.confidence} tone="primary" />
          <p className="result__description">{result.description}</p>
          {/* The answer is already said above; the list shows only what else it might have been. */}
          <CandidateList items={top.filter((c) => c.no !== result.no)} heading={t.result.otherCandidates} />
        </>
      )}
      {verdict === 'unsure' && (
        <>
          <p className="result__eyebrow result__eyebrow--warn">{t.result.notSureTitle}</p>
          <h2 className="result__name result__name--unsure" data-testid="result-name" tabIndex={-1} ref={headingRef}>
            {t.result.notSureHeading}
          </h2>
          <p className="result__unsure">{t.result.notSureBody(top[0]?.name ?? result.name)}</p>
          <CandidateList items={top} heading={t.result.couldBe} />
          <p className="result__tip">{t.result.tips}</p>
        </>
      )}
      {verdict === 'unknown' && (
        <>
          <p className="result__eyebrow result__eyebrow--warn">{t.result.unknownTitle}</p>
          <h2 className="result__name result__name--unknown" data-testid="result-name" tabIndex={-1} ref={headingRef}>
            {t.result.unknownHeading}
          </h2>
          <p className="result__unsure">{t.result.unknownBody(knownCount)}</p>
          <p className="result__tip">{t.result.tips}</p>
        </>
      )}
      {model && (
        <p className="result__meta">
          {t.result.model(model.name, model.version)}
          {response.elapsedMs !== undefined && ` · ${t.result.elapsed(response.elapsedMs)}`}
        </p>
      )}
    </article>
  );
}
