import { errorBodySchema, type ErrorBody, type ErrorCatalog } from '@petal/contracts';
import { connect } from 'node:net';

export interface ProbeTargets {
  /** A GET route of the service (for the wrong-method probe). */
  getPath: string;
  /** A POST route that takes a body, and a body of a type it takes that is over its size limit. */
  post: { path: string; tooLarge: { contentType: string; body: Uint8Array } };
}

export interface ProbeResult {
  probe: string;
  status: number;
  /** The body, when it keeps the error contract; undefined when it does not (the test then fails). */
  body: ErrorBody | undefined;
  raw: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Sends bytes no well-behaved client sends and reads the status line and body of the answer. */
function rawRequest(url: URL, bytes: string | Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to a raw probe within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', (err) => {
      // A server may answer and close while the probe is still sending (EPIPE, ECONNRESET): the answer counts.
      if (answer) return;
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(bytes);
  });
}

function result(probe: string, status: number, text: string): ProbeResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  return { probe, status, body: parsed.success ? parsed.data : undefined, raw: text.slice(0, 300) };
}

/**
 * Fires the requests that make a framework answer on its own (unknown route, wrong method, body too
 * large, unsupported media type, a request that is not HTTP, oversized headers) at a running service
 * and returns each answer, so a tier's contract test can check that every one keeps the error shape.
 */
export async function probeFrameworkErrors(baseUrl: string, targets: ProbeTargets): Promise<ProbeResult[]> {
  const url = new URL(baseUrl);
  const results: ProbeResult[] = [];
  const fetched = async (probe: string, path: string, init?: RequestInit) => {
    const res = await fetch(new URL(path, url), { ...init, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    results.push(result(probe, res.status, await res.text()));
  };
  await fetched('unknown route', '/__no_such_route__');
  await fetched('wrong method', targets.getPath, { method: 'DELETE' });
  await fetched('unsupported media type', targets.post.path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-petal-unknown' },
    body: 'x',
  });
  const { contentType, body } = targets.post.tooLarge;
  const head = `POST ${targets.post.path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const tooLarge = await rawRequest(url, Buffer.concat([Buffer.from(head, 'latin1'), body]));
  results.push(result('body too large', tooLarge.status, tooLarge.body));
  const notHttp = await rawRequest(url, 'NOT HTTP AT ALL\r\n\r\n');
  results.push(result('not HTTP', notHttp.status, notHttp.body));
  const bigHeaders = await rawRequest(url, `GET ${targets.getPath} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  results.push(result('headers too large', bigHeaders.status, bigHeaders.body));
  return results;
}

/** The catalog code each probe should get back, unless a service has a more specific one. */
export const PROBE_CODES: Readonly<Record<string, string>> = {
  'unknown route': 'NOT_FOUND',
  'wrong method': 'METHOD_NOT_ALLOWED',
  'unsupported media type': 'UNSUPPORTED_MEDIA_TYPE',
  'body too large': 'PAYLOAD_TOO_LARGE',
  'not HTTP': 'BAD_REQUEST',
  'headers too large': 'HEADERS_TOO_LARGE',
};

/**
 * Runs the probes and lists what broke the contract: a body outside the error shape, another code than
 * expected, or a status other than the catalog's for that code. Empty when everything kept it.
 */
export async function frameworkErrorProblems(
  baseUrl: string,
  targets: ProbeTargets,
  catalog: ErrorCatalog,
  codes: Partial<Record<string, string>> = {},
): Promise<string[]> {
  const expected = { ...PROBE_CODES, ...codes };
  const problems: string[] = [];
  for (const r of await probeFrameworkErrors(baseUrl, targets)) {
    const want = expected[r.probe];
    if (!r.body) problems.push(`${r.probe}: ${r.status} outside the error contract: ${r.raw}`);
    else if (r.body.error.code !== want) problems.push(`${r.probe}: ${r.status} ${r.body.error.code}, expected ${want}`);
    else if (catalog[want]?.status !== r.status) problems.push(`${r.probe}: ${want} answered ${r.status}, the catalog says ${catalog[want]?.status}`);
  }
  return problems;
}
