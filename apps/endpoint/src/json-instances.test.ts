import { describe, expect, it } from 'vitest';
import { PayloadError, parseInstancesJson } from './json-instances.js';

const opts = { inputSize: 2, maxInstances: 4 };
const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const tensor = (f: (y: number, x: number, c: number) => number, s = 2) =>
  Array.from({ length: s }, (_, y) => Array.from({ length: s }, (_, x) => [0, 1, 2].map((c) => f(y, x, c))));

function codeOf(body: unknown, o = opts): string {
  try {
    parseInstancesJson(enc(body), o);
  } catch (err) {
    expect(err).toBeInstanceOf(PayloadError);
    return `${(err as PayloadError).code}: ${(err as Error).message}`;
  }
  throw new Error('parsed');
}

describe('parseInstancesJson', () => {
  it('reads H×W×3 tensors in HWC order, equal to JSON.parse', () => {
    const t = tensor((y, x, c) => (y * 6 + x * 3 + c) / 12);
    const input = parseInstancesJson(enc({ signature_name: 'serving_default', instances: [t, t] }), opts);
    expect(input.kind).toBe('pixels');
    if (input.kind !== 'pixels') return;
    expect(input.n).toBe(2);
    const expected = Float32Array.from(t.flat(2));
    expect(Array.from(input.pixels.subarray(0, 12))).toEqual(Array.from(expected));
    expect(Array.from(input.pixels.subarray(12))).toEqual(Array.from(expected));
  });

  it('parses every JSON number spelling like JSON.parse', () => {
    const spellings = ['0', '1', '0.5', '1.0', '0.123456789012345678', '5e-1', '1E0', '-0', '0.0000001', '100e-2'];
    for (const s of spellings) {
      const body = `{"instances":[[[[${s},0,0],[0,0,0]],[[0,0,0],[0,0,0]]]]}`;
      const input = parseInstancesJson(Buffer.from(body), opts);
      if (input.kind !== 'pixels') throw new Error('kind');
      expect(input.pixels[0]).toBe(Math.fround(JSON.parse(s) as number));
    }
  });

  it('reads {"b64"} instances as image bytes', () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x10]);
    const input = parseInstancesJson(enc({ instances: [{ b64: bytes.toString('base64') }] }), opts);
    if (input.kind !== 'images') throw new Error('kind');
    expect(input.images.map((i) => Buffer.from(i).toString('hex'))).toEqual([bytes.toString('hex')]);
  });

  it('says what is wrong with the shape', () => {
    expect(codeOf({ instances: [tensor(() => 0, 3)] })).toMatch(/INVALID_SHAPE: instances\[0\]\[0\] has more than 2 pixels.*2×2×3/);
    expect(codeOf({ instances: [tensor(() => 0).slice(0, 1)] })).toMatch(/INVALID_SHAPE: instances\[0\] has 1 rows, expected 2/);
    expect(codeOf({ instances: [[[[0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]] })).toMatch(/instances\[0\]\[0\]\[0\] has 2 channel values, expected 3/);
    expect(codeOf({ instances: [[[0, 0, 0], [0, 0, 0]]] })).toMatch(/instances\[0\]\[0\]\[0\] must be an array of 3 channel values/);
    expect(codeOf({ instances: [[1, 2]] })).toMatch(/INVALID_SHAPE/);
  });

  it('refuses values that are not finite numbers in [0,1]', () => {
    const at = (v: string) => `{"instances":[[[[0,${v},0],[0,0,0]],[[0,0,0],[0,0,0]]]]}`;
    expect(codeOf(at('NaN'))).toMatch(/INVALID_VALUE: instances\[0\]\[0\]\[0\]\[1\] must be a number in \[0,1\], got "NaN/);
    expect(codeOf(at('"0.5"'))).toMatch(/INVALID_VALUE: .*got "\\"0.5/);
    expect(codeOf(at('1e400'))).toMatch(/INVALID_VALUE: .* is not a finite number/);
    expect(codeOf(at('255'))).toMatch(/VALUE_OUT_OF_RANGE: instances\[0\]\[0\]\[0\]\[1\] is 255/);
    expect(codeOf(at('-0.5'))).toMatch(/VALUE_OUT_OF_RANGE/);
    expect(codeOf(at('null'))).toMatch(/INVALID_VALUE/);
    expect(codeOf(at('01'))).toMatch(/INVALID_JSON/);
    expect(codeOf(at('1.'))).toMatch(/INVALID_VALUE: .*not a valid JSON number/);
  });

  it('refuses malformed bodies with a position', () => {
    expect(codeOf('')).toMatch(/EMPTY_INPUT/);
    expect(codeOf('[]')).toMatch(/INVALID_JSON: .*JSON object/);
    expect(codeOf('{"instances": [')).toMatch(/INVALID/);
    expect(codeOf('{"instances": []}')).toMatch(/INVALID_INSTANCES: "instances" is empty/);
    expect(codeOf('{"instances": 3}')).toMatch(/INVALID_INSTANCES: "instances" must be an array/);
    expect(codeOf('{}')).toMatch(/no "instances"/);
    expect(codeOf('{"instances": [{"b64": "aGk="}]} x')).toMatch(/INVALID_JSON: malformed JSON at byte 33/);
    expect(codeOf('{"other": ' + '['.repeat(10_000) + ']'.repeat(10_000) + '}')).toMatch(/nested deeper/);
    expect(codeOf({ instances: [{ b64: '***' }] })).toMatch(/INVALID_BASE64/);
    expect(codeOf({ instances: [{ url: 'http://x' }] })).toMatch(/unexpected key "url"/);
    expect(codeOf({ instances: [{ b64: 'aGk=' }, tensor(() => 0)] })).toMatch(/mix/);
    expect(codeOf({ instances: Array.from({ length: 5 }, () => ({ b64: 'aGk=' })) })).toMatch(/TOO_MANY_INSTANCES/);
    expect(codeOf({ instances: ['x'] })).toMatch(/INVALID_INSTANCES: instances\[0\] must be a 2×2×3 array/);
  });

  it('parses a 224×224×3 tensor faster than JSON.parse builds it', () => {
    const s = 224;
    const body = Buffer.from(JSON.stringify({ instances: [tensor((y, x, c) => ((y * 31 + x * 7 + c) % 256) / 255, s)] }));
    expect(body.length).toBeGreaterThan(2_000_000);
    const time = (f: () => void) => {
      const runs: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        f();
        runs.push(performance.now() - t0);
      }
      return runs.sort((a, b) => a - b)[3]!;
    };
    const ours = time(() => parseInstancesJson(body, { inputSize: s, maxInstances: 1 }));
    const builtin = time(() => {
      const parsed = JSON.parse(body.toString('utf8')) as { instances: number[][][][] };
      Float32Array.from(parsed.instances[0]!.flat(2));
    });
    // Not a benchmark (bench/endpoint.bench.ts is): a guard against slow paths creeping back in (it was
    // 3-10× slower with a string per value). Measured here: ~15 ms against ~60 ms.
    expect(ours).toBeLessThan(builtin);
  });
});
