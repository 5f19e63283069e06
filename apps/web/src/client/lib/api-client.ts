import type { Lang } from '@petal/catalog';
import { checkContract, classifyAnswerSchema, statusAnswerSchema, type ClassifyAnswer, type StatusAnswer } from '@petal/contracts';
import { type ApiFailure, failureFromException, failureFromResponse } from './api-errors.js';

/** What the UI needs from the BFF; components take it as a prop so tests can drive them. */
export interface ApiClient {
  classify(image: Blob, fileName: string, lang: Lang, signal?: AbortSignal): Promise<ClassifyAnswer>;
  status(signal?: AbortSignal): Promise<StatusAnswer>;
}

/** Thrown by the client for every failed call, already mapped to something the UI can explain. */
export class ApiCallError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(failure.serverMessage ?? failure.kind);
    this.name = 'ApiCallError';
  }
}

const CLASSIFY_TIMEOUT_MS = 45_000;
const STATUS_TIMEOUT_MS = 8_000;

function withTimeout(ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

async function call(input: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(input, { ...init, signal: withTimeout(timeoutMs, signal) });
  } catch (err) {
    if (signal?.aborted) throw err; // the caller cancelled; not a failure to show
    throw new ApiCallError(failureFromException(err));
  }
  const body = await readJson(res);
  if (!res.ok) throw new ApiCallError(failureFromResponse(res.status, body, res.headers.get('retry-after')));
  return body;
}

/** The browser's client for the BFF on the same origin (`base` only differs in tests and dev tools). */
export function createApiClient(base = ''): ApiClient {
  return {
    async classify(image, fileName, lang, signal) {
      const form = new FormData();
      form.append('file', image, fileName);
      const body = await call(
        `${base}/classify/image?lang=${lang}`,
        { method: 'POST', body: form, headers: { accept: 'application/json', 'accept-language': lang } },
        CLASSIFY_TIMEOUT_MS,
        signal,
      );
      const checked = checkContract(classifyAnswerSchema, body);
      if (!checked.ok) throw new ApiCallError({ kind: 'bad_response', status: 200, serverMessage: `unexpected answer: ${checked.problem}` });
      return checked.value;
    },
    async status(signal) {
      const body = await call(`${base}/api/status`, { headers: { accept: 'application/json' } }, STATUS_TIMEOUT_MS, signal);
      const checked = checkContract(statusAnswerSchema, body);
      if (!checked.ok) throw new ApiCallError({ kind: 'bad_response', status: 200, serverMessage: `unexpected status: ${checked.problem}` });
      return checked.value;
    },
  };
}
