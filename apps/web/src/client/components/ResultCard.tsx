import type { ClassifyAnswer } from '@petal/contracts';
import { useI18n } from '../i18n-context.js';
import { ConfidenceBar } from './ConfidenceBar.js';

/** The answer: a named flower with its confidence, or an honest "not sure" with the best guesses. */
export function ResultCard({ response }: { response: ClassifyAnswer }) {
  const { t } = useI18n();
  const { result, top, confident, model } = response;
  const candidates = top.slice(0, 3);
  return (
    <article className={`result${confident ? '' : ' result--unsure'}`} data-testid="result" data-confident={confident}>
      {confident ? (
        <>
          <p className="result__eyebrow">{t.result.heading}</p>
          <h2 className="result__name" data-testid="result-name">
            {result.name}
          </h2>
        </>
      ) : (
        <>
          <p className="result__eyebrow result__eyebrow--warn">{t.result.notSureTitle}</p>
          <h2 className="result__name result__name--unsure" data-testid="result-name">
            {result.name}?
          </h2>
          <p className="result__unsure">{t.result.notSureBody(result.name)}</p>
        </>
      )}
      <ConfidenceBar value={result.acc} label={t.result.confidence} tone={confident ? 'primary' : 'warn'} />
      {confident ? <p className="result__description">{result.description}</p> : <p className="result__tip">{t.result.tips}</p>}
      {candidates.length > 1 && (
        <section className="candidates" aria-labelledby="candidates-heading">
          <h3 id="candidates-heading" className="candidates__heading">
            {t.result.candidates}
          </h3>
          <ol className="candidates__list">
            {candidates.map((c) => (
              <li key={c.no} className="candidates__item" data-testid="candidate">
                <span className="candidates__name">{c.name}</span>
                <ConfidenceBar value={c.probability} label={c.name} tone="muted" small />
              </li>
            ))}
          </ol>
        </section>
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
