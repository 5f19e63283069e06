/**
 * The smoke test after a swap: every smoke photo must come back with its known label, from the model
 * that was just deployed. One wrong label, one failed request or an answer from another model fails it.
 */
import type { InvocationAnswer } from '@petal/contracts';
import type { EndpointClient } from './endpoint-client.js';
import type { SmokeCase } from './smoke-set.js';

export interface SmokeFailure {
  name: string;
  expected: string;
  /** The label the model answered, or what went wrong instead. */
  got: string;
}

export interface SmokeReport {
  passed: boolean;
  total: number;
  failures: SmokeFailure[];
  elapsedMs: number;
}

/** Requests in flight at once: enough to use the endpoint's batching, few enough to leave room for real traffic. */
const CONCURRENCY = 4;

export async function runSmokeTest(client: EndpointClient, cases: readonly SmokeCase[], expect: { name: string; version: string }): Promise<SmokeReport> {
  const started = performance.now();
  const answers: string[] = new Array<string>(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      answers[i] = await answerOf(client, cases[i]!.image, expect);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, cases.length) }, worker));
  // In the cases' order, whatever order the answers came back in, so the report reads the same every time.
  const failures = cases.flatMap((smoke, i) => (answers[i] === smoke.label ? [] : [{ name: smoke.name, expected: smoke.label, got: answers[i]! }]));
  return { passed: cases.length > 0 && failures.length === 0, total: cases.length, failures, elapsedMs: performance.now() - started };
}

/** The top label of one answer, or a description of why there is none. */
async function answerOf(client: EndpointClient, image: Uint8Array, expect: { name: string; version: string }): Promise<string> {
  let answer: InvocationAnswer;
  try {
    answer = await client.classify(image);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
  if (answer.model && (answer.model.name !== expect.name || answer.model.version !== expect.version)) {
    return `answer from ${answer.model.name}@${answer.model.version}, not ${expect.name}@${expect.version}`;
  }
  return topLabel(answer) ?? 'an answer without labels';
}

export function topLabel(answer: InvocationAnswer): string | undefined {
  const probabilities = answer.predictions[0];
  if (!probabilities || !answer.labels) return undefined;
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i;
  return answer.labels[best];
}

export function describeSmokeFailures(report: SmokeReport, limit = 3): string {
  const shown = report.failures.slice(0, limit).map((f) => `${f.name}: expected ${f.expected}, got ${f.got}`);
  const more = report.failures.length > limit ? `; and ${report.failures.length - limit} more` : '';
  return `${report.failures.length} of ${report.total} smoke photos wrong (${shown.join('; ')}${more})`;
}
