import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax } from './testing/images.js';
import { SKIP_DATA_REASON, SKIP_MODEL_REASON, hasData, hasModel, samplePhotos, startEndpoint, type Running } from './testing/start.js';
import { anyJson } from './testing/json.js';

if (!hasModel || !hasData) console.warn(`skipping endpoint fuzz test: ${!hasModel ? SKIP_MODEL_REASON : SKIP_DATA_REASON}`);

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}

interface Case {
  name: string;
  contentType: string | undefined;
  body: Buffer;
}

function malformedBodies(seed: number, jpeg: Buffer, count: number): Case[] {
  const r = rng(seed);
  const imageTypes = ['image/jpeg', 'image/png', 'image/webp', 'application/x-image', 'image/gif', 'image/tiff'];
  const junkJson = () => {
    const atoms = ['NaN', 'Infinity', '-Infinity', '1e309', '-1e400', '1e308', '99999999999999999999999', '"0.5"', 'null', 'true', '{}', '[]', '-', '.5', '0x10', '1.', '01', '"\\u00"', '[1,]', ''];
    return r.pick(atoms);
  };
  const nested = (depth: number): string => (depth === 0 ? junkJson() : `[${Array.from({ length: r.int(4) }, () => nested(depth - 1)).join(',')}]`);
  const generators: Array<() => Case> = [
    () => ({ name: 'random bytes', contentType: r.pick(imageTypes), body: r.bytes(r.int(5000)) }),
    () => ({ name: 'jpeg magic + junk', contentType: 'image/jpeg', body: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), r.bytes(r.int(3000))]) }),
    () => ({ name: 'png magic + junk', contentType: 'image/png', body: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), r.bytes(r.int(3000))]) }),
    () => ({ name: 'truncated jpeg', contentType: r.pick(imageTypes), body: jpeg.subarray(0, r.int(jpeg.length)) }),
    () => {
      const body = Buffer.from(jpeg);
      for (let i = 0; i < 1 + r.int(40); i++) body[r.int(body.length)] = r.int(256);
      return { name: 'bit-flipped jpeg', contentType: 'image/jpeg', body };
    },
    () => {
      const valid = JSON.stringify({ instances: [{ b64: jpeg.toString('base64') }] });
      return { name: 'truncated json', contentType: 'application/json', body: Buffer.from(valid.slice(0, r.int(valid.length))) };
    },
    () => ({ name: 'random json-ish text', contentType: 'application/json', body: Buffer.from(Array.from({ length: r.int(300) }, () => r.pick(['{', '}', '[', ']', ',', ':', '"', '1', 'e', '-', '.', ' ', 'instances', 'b64', 'null'])).join('')) }),
    () => ({ name: 'wrong shape', contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: [Array.from({ length: 1 + r.int(3) }, () => Array.from({ length: r.int(4) }, () => [r.next(), r.next(), r.next()].slice(0, r.int(5))))] })) }),
    () => ({ name: 'nested junk', contentType: 'application/json', body: Buffer.from(`{"instances": [${nested(1 + r.int(5))}]}`) }),
    () => ({ name: 'deep nesting', contentType: 'application/json', body: Buffer.from(`{"x": ${'['.repeat(1000 + r.int(100_000))}`) }),
    () => ({ name: 'deep instances', contentType: 'application/json', body: Buffer.from(`{"instances": ${'['.repeat(1000 + r.int(100_000))}`) }),
    () => ({ name: 'huge numbers', contentType: 'application/json', body: Buffer.from(`{"instances": [[[[${r.pick(['1e309', '1e308', '-1e400', '123456789012345678901234567890', '0.' + '9'.repeat(5000)])},0,0]]]]}`) }),
    () => ({ name: 'bad b64', contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: [{ b64: r.bytes(r.int(200)).toString('latin1') }] })) }),
    () => ({ name: 'b64 of junk', contentType: 'application/json', body: Buffer.from(JSON.stringify({ instances: [{ b64: r.bytes(r.int(2000)).toString('base64') }] })) }),
    () => ({ name: 'random content type', contentType: r.pick(['text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'image/svg+xml', '', 'application/json; charset=utf-16', '*/*']), body: r.bytes(r.int(500)) }),
    () => ({ name: 'no content type', contentType: undefined, body: r.bytes(1 + r.int(500)) }),
    () => ({ name: 'utf-8 garbage json', contentType: 'application/json', body: Buffer.from(`{"instances": "${'\u{1F33C}'.repeat(r.int(50))}\u0000"}`) }),
  ];
  return Array.from({ length: count }, (_, i) => {
    const c = generators[i % generators.length]!();
    return { ...c, name: `#${i} ${c.name}` };
  });
}

describe.skipIf(!hasModel || !hasData)('fuzzing /invocations (real model)', () => {
  let server: Running;
  let photos: Array<{ label: string; bytes: Buffer }>;

  beforeAll(async () => {
    server = await startEndpoint({ maxBatch: 4 });
    photos = await Promise.all(samplePhotos(1).map(async (p) => ({ label: p.label, bytes: await readFile(p.path) })));
  });
  afterAll(() => server?.close());

  it('answers every malformed body with a JSON 4xx (or a real prediction) and keeps serving', async () => {
    const cases = malformedBodies(20261124, photos[0]!.bytes, 340);
    const unexpected: string[] = [];
    const statuses = new Map<number, number>();
    // Eight at a time, so bad images share batches with each other and the queue sees concurrency.
    for (let i = 0; i < cases.length; i += 8) {
      await Promise.all(
        cases.slice(i, i + 8).map(async (c) => {
          const headers: Record<string, string> = c.contentType === undefined ? {} : { 'content-type': c.contentType };
          const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers, body: c.body });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = await res.text();
          let body: { error?: { code?: unknown; message?: unknown }; predictions?: unknown };
          try {
            body = JSON.parse(text);
          } catch {
            unexpected.push(`${c.name}: ${res.status} non-JSON body ${text.slice(0, 80)}`);
            return;
          }
          if (res.status === 200) {
            // Bit-flipped or truncated JPEGs may still decode; then the answer must be a real prediction.
            if (!Array.isArray(body.predictions)) unexpected.push(`${c.name}: 200 without predictions`);
          } else if (res.status < 400 || res.status >= 500 || typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') {
            unexpected.push(`${c.name}: ${res.status} ${text.slice(0, 160)}`);
          }
        }),
      );
    }
    expect(unexpected).toEqual([]);
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(200);

    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
    for (const photo of photos) {
      const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo.bytes });
      const body = await res.json().then(anyJson);
      expect(body.labels[argmax(body.predictions[0])]).toBe(photo.label);
    }
  });
});
