import type { EndpointErrorCode } from '@petal/contracts';
import type { InferenceInput } from './inference-queue.js';

/** The catalog codes a JSON payload can be refused with. */
export type PayloadErrorCode = Extract<
  EndpointErrorCode,
  'EMPTY_INPUT' | 'INVALID_JSON' | 'INVALID_INSTANCES' | 'INVALID_SHAPE' | 'INVALID_VALUE' | 'VALUE_OUT_OF_RANGE' | 'INVALID_BASE64' | 'TOO_MANY_INSTANCES'
>;

/** A request body the endpoint cannot use; its message says where and what was wrong. */
export class PayloadError extends Error {
  constructor(
    readonly code: PayloadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PayloadError';
  }
}

export interface InstancesOptions {
  /** Side of the square input tensor the model expects. */
  inputSize: number;
  /** Most instances in one request. */
  maxInstances: number;
}

const MAX_DEPTH = 64;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const enum Ch {
  Quote = 0x22,
  Comma = 0x2c,
  Minus = 0x2d,
  Plus = 0x2b,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  LBracket = 0x5b,
  Backslash = 0x5c,
  RBracket = 0x5d,
  LowerE = 0x65,
  UpperE = 0x45,
  LBrace = 0x7b,
  RBrace = 0x7d,
}

/**
 * Parses the TensorFlow-Serving request body `{"instances": [...]}` straight from the bytes: each
 * instance is either an H×W×3 nested array of numbers in [0,1] (written directly into one Float32Array,
 * without building ~50k small JS arrays for a 224×224 image) or `{"b64": "<encoded image>"}`.
 * Anything else is a PayloadError naming the JSON path and the problem.
 */
export function parseInstancesJson(body: Uint8Array, options: InstancesOptions): InferenceInput {
  return new InstancesParser(body, options).parse();
}

class InstancesParser {
  private pos = 0;
  private readonly pixelsPerInstance: number;
  /** Where the tensor being read sits (`instances[i]`) and its current row/pixel/channel indices. */
  private base = '';
  private readonly index = new Int32Array(3);

  constructor(
    private readonly buf: Uint8Array,
    private readonly options: InstancesOptions,
  ) {
    this.pixelsPerInstance = options.inputSize * options.inputSize * 3;
  }

  parse(): InferenceInput {
    this.ws();
    if (this.pos >= this.buf.length) throw new PayloadError('EMPTY_INPUT', 'the request body is empty');
    if (this.buf[this.pos] !== Ch.LBrace) {
      throw this.syntax('the body must be a JSON object like {"instances": [...]}');
    }
    this.pos++;
    let result: InferenceInput | undefined;
    this.ws();
    if (this.peek() === Ch.RBrace) {
      this.pos++;
    } else {
      for (;;) {
        this.ws();
        const key = this.string('object key');
        this.ws();
        this.expect(Ch.Colon, '":" after an object key');
        this.ws();
        if (key === 'instances') {
          if (result) throw new PayloadError('INVALID_INSTANCES', '"instances" appears twice');
          result = this.instances();
        } else {
          this.skipValue(key, 1);
        }
        this.ws();
        const c = this.peek();
        if (c === Ch.Comma) {
          this.pos++;
          continue;
        }
        if (c === Ch.RBrace) {
          this.pos++;
          break;
        }
        throw this.syntax('"," or "}" in the top-level object');
      }
    }
    this.ws();
    if (this.pos !== this.buf.length) throw this.syntax('end of the body after the top-level object');
    if (!result) throw new PayloadError('INVALID_INSTANCES', 'the body has no "instances" array');
    return result;
  }

  private instances(): InferenceInput {
    if (this.peek() === undefined) throw this.syntax('the "instances" array');
    if (this.peek() !== Ch.LBracket) throw new PayloadError('INVALID_INSTANCES', '"instances" must be an array');
    this.pos++;
    const tensors: Float32Array[] = [];
    const images: Uint8Array[] = [];
    this.ws();
    if (this.peek() === Ch.RBracket) throw new PayloadError('INVALID_INSTANCES', '"instances" is empty');
    for (let i = 0; ; i++) {
      if (i >= this.options.maxInstances) {
        throw new PayloadError('TOO_MANY_INSTANCES', `at most ${this.options.maxInstances} instances per request`);
      }
      this.ws();
      const c = this.peek();
      const path = `instances[${i}]`;
      if (c === Ch.LBracket) {
        const out = new Float32Array(this.pixelsPerInstance);
        this.tensor(out, path);
        tensors.push(out);
      } else if (c === Ch.LBrace) {
        images.push(this.b64Instance(path));
      } else {
        throw new PayloadError(
          'INVALID_INSTANCES',
          `${path} must be a ${this.shapeText()} array of numbers in [0,1] or {"b64": "<base64 image>"}`,
        );
      }
      if (tensors.length > 0 && images.length > 0) {
        throw new PayloadError('INVALID_INSTANCES', 'instances mix tensors and {"b64"} images; send one kind per request');
      }
      this.ws();
      const next = this.peek();
      if (next === Ch.Comma) {
        this.pos++;
        continue;
      }
      if (next === Ch.RBracket) {
        this.pos++;
        break;
      }
      throw this.syntax('"," or "]" after an instance');
    }
    if (images.length > 0) return { kind: 'images', images };
    const n = tensors.length;
    if (n === 1) return { kind: 'pixels', pixels: tensors[0]!, n };
    const pixels = new Float32Array(n * this.pixelsPerInstance);
    tensors.forEach((t, i) => pixels.set(t, i * this.pixelsPerInstance));
    return { kind: 'pixels', pixels, n };
  }

  private shapeText(): string {
    const s = this.options.inputSize;
    return `${s}×${s}×3`;
  }

  /**
   * rows × cols × 3 nested arrays, written in HWC order into `out`. The JSON path for messages is kept
   * as indices and turned into text only when something is wrong: one string (or array) per value would
   * cost more than the parse itself.
   */
  private tensor(out: Float32Array, path: string): void {
    const size = this.options.inputSize;
    const idx = this.index;
    this.base = path;
    let k = 0;
    this.openArray(0, 'an array of rows');
    for (let y = 0; y < size; y++) {
      this.element(y, size, 0, 'rows');
      idx[0] = y;
      this.openArray(1, 'an array of pixels');
      for (let x = 0; x < size; x++) {
        this.element(x, size, 1, 'pixels');
        idx[1] = x;
        this.openArray(2, 'an array of 3 channel values (RGB)');
        for (let c = 0; c < 3; c++) {
          this.element(c, 3, 2, 'channel values');
          idx[2] = c;
          const v = this.number(3);
          // Judged as the float32 it becomes, so "1.00000000000000001" (== 1 in float32) is accepted.
          if (!(v >= 0 && Math.fround(v) <= 1)) {
            throw new PayloadError('VALUE_OUT_OF_RANGE', `${this.pathAt(3)} is ${v}; pixel values must be in [0,1]`);
          }
          out[k++] = v;
        }
        this.closeArray(3, 2, 'channel values');
      }
      this.closeArray(size, 1, 'pixels');
    }
    this.closeArray(size, 0, 'rows');
  }

  /** JSON path of the tensor element at `depth` (0 = the instance itself). */
  private pathAt(depth: number): string {
    let path = this.base;
    for (let d = 0; d < depth; d++) path += `[${this.index[d]}]`;
    return path;
  }

  private openArray(depth: number, what: string): void {
    this.ws();
    if (this.peek() !== Ch.LBracket) {
      throw new PayloadError('INVALID_SHAPE', `${this.pathAt(depth)} must be ${what} (the input shape is ${this.shapeText()}), got ${this.describeHere()}`);
    }
    this.pos++;
  }

  /** Before element `index` of `count` of the array at `depth`: a separator unless first, and not a premature "]". */
  private element(index: number, count: number, depth: number, what: string): void {
    this.ws();
    if (index > 0) {
      if (this.peek() === Ch.RBracket) {
        throw new PayloadError('INVALID_SHAPE', `${this.pathAt(depth)} has ${index} ${what}, expected ${count} (the input shape is ${this.shapeText()})`);
      }
      if (this.peek() !== Ch.Comma) throw this.syntax(`"," between ${what} in ${this.pathAt(depth)}`);
      this.pos++;
      this.ws();
    } else if (this.peek() === Ch.RBracket) {
      throw new PayloadError('INVALID_SHAPE', `${this.pathAt(depth)} is empty, expected ${count} ${what} (the input shape is ${this.shapeText()})`);
    }
  }

  private closeArray(count: number, depth: number, what: string): void {
    this.ws();
    if (this.peek() === Ch.Comma) {
      throw new PayloadError('INVALID_SHAPE', `${this.pathAt(depth)} has more than ${count} ${what} (the input shape is ${this.shapeText()})`);
    }
    if (this.peek() !== Ch.RBracket) throw this.syntax(`"]" closing ${this.pathAt(depth)}`);
    this.pos++;
  }

  private b64Instance(path: string): Uint8Array {
    this.pos++; // "{"
    this.ws();
    let bytes: Uint8Array | undefined;
    if (this.peek() !== Ch.RBrace) {
      for (;;) {
        this.ws();
        const key = this.string(`key in ${path}`);
        this.ws();
        this.expect(Ch.Colon, '":" after an object key');
        this.ws();
        if (key === 'b64') {
          if (this.peek() !== Ch.Quote) throw new PayloadError('INVALID_INSTANCES', `${path}.b64 must be a base64 string`);
          bytes = decodeBase64(this.string(`${path}.b64`), `${path}.b64`);
        } else {
          throw new PayloadError('INVALID_INSTANCES', `${path} has an unexpected key "${key.slice(0, 40)}"; only "b64" is accepted`);
        }
        this.ws();
        const c = this.peek();
        if (c === Ch.Comma) {
          this.pos++;
          continue;
        }
        if (c === Ch.RBrace) break;
        throw this.syntax(`"," or "}" in ${path}`);
      }
    }
    this.pos++; // "}"
    if (!bytes) throw new PayloadError('INVALID_INSTANCES', `${path} must be {"b64": "<base64 image>"}`);
    return bytes;
  }

  /**
   * A JSON number, computed from the bytes without making a string: up to 17 significant digits are
   * kept (more than float32, the destination, can hold), the rest only move the decimal exponent.
   * `depth` says where it is for messages (see pathAt; a skipped value passes its key as `base`).
   */
  private number(depth: number): number {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let neg = false;
    if (b[p] === Ch.Minus) {
      neg = true;
      p++;
    }
    let mant = 0;
    let sig = 0;
    let exp10 = 0;
    const d0 = b[p];
    if (d0 === Ch.Zero) {
      p++;
    } else if (d0 !== undefined && d0 > Ch.Zero && d0 <= Ch.Nine) {
      while (p < b.length && b[p]! >= Ch.Zero && b[p]! <= Ch.Nine) {
        if (sig < 17) {
          mant = mant * 10 + (b[p]! - Ch.Zero);
          sig++;
        } else {
          exp10++;
        }
        p++;
      }
    } else {
      throw this.invalidValue(depth, `must be a number in [0,1], got ${this.describeAt(start)}`);
    }
    if (b[p] === Ch.Dot) {
      p++;
      const fracStart = p;
      while (p < b.length && b[p]! >= Ch.Zero && b[p]! <= Ch.Nine) {
        if (sig < 17) {
          mant = mant * 10 + (b[p]! - Ch.Zero);
          exp10--;
          if (mant > 0) sig++;
        }
        p++;
      }
      if (p === fracStart) throw this.invalidValue(depth, 'is not a valid JSON number');
    }
    if (b[p] === Ch.LowerE || b[p] === Ch.UpperE) {
      p++;
      let expNeg = false;
      if (b[p] === Ch.Plus || b[p] === Ch.Minus) {
        expNeg = b[p] === Ch.Minus;
        p++;
      }
      const expStart = p;
      let e = 0;
      while (p < b.length && b[p]! >= Ch.Zero && b[p]! <= Ch.Nine) {
        if (e < 100_000) e = e * 10 + (b[p]! - Ch.Zero);
        p++;
      }
      if (p === expStart) throw this.invalidValue(depth, 'is not a valid JSON number');
      exp10 += expNeg ? -e : e;
    }
    this.pos = p;
    let value: number;
    if (mant === 0) value = 0;
    else if (exp10 >= 0) value = mant * (exp10 < POW10.length ? POW10[exp10]! : 10 ** exp10);
    else value = mant / (-exp10 < POW10.length ? POW10[-exp10]! : 10 ** -exp10);
    if (neg) value = -value;
    if (!Number.isFinite(value)) throw this.invalidValue(depth, 'is not a finite number');
    return value;
  }

  // A method, not a closure in number(): a closure per value is measurable at 150k values.
  private invalidValue(depth: number, why: string): PayloadError {
    return new PayloadError('INVALID_VALUE', `${this.pathAt(depth)} ${why}`);
  }

  private string(what: string): string {
    if (this.peek() !== Ch.Quote) throw this.syntax(`a string (${what})`);
    const b = this.buf;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    for (;;) {
      if (p >= b.length) throw this.syntax(`the end of a string (${what})`);
      const c = b[p]!;
      if (c === Ch.Quote) break;
      if (c < 0x20) throw new PayloadError('INVALID_JSON', `control character inside a string at byte ${p}`);
      if (c === Ch.Backslash) {
        escaped = true;
        p += 2;
        continue;
      }
      p++;
    }
    this.pos = p + 1;
    const raw = Buffer.from(b.buffer, b.byteOffset + start, p + 1 - start);
    if (!escaped) return raw.toString('utf8', 1, raw.length - 1);
    try {
      return JSON.parse(raw.toString('utf8')) as string;
    } catch {
      throw new PayloadError('INVALID_JSON', `invalid escape sequence in a string at byte ${start}`);
    }
  }

  /** Validates and skips any JSON value (unknown top-level keys such as "signature_name"). */
  private skipValue(path: string, depth: number): void {
    if (depth > MAX_DEPTH) throw new PayloadError('INVALID_JSON', `JSON nested deeper than ${MAX_DEPTH} levels`);
    this.ws();
    const c = this.peek();
    if (c === Ch.Quote) {
      this.string(path);
    } else if (c === Ch.LBracket || c === Ch.LBrace) {
      const close = c === Ch.LBracket ? Ch.RBracket : Ch.RBrace;
      this.pos++;
      this.ws();
      if (this.peek() === close) {
        this.pos++;
        return;
      }
      for (;;) {
        this.ws();
        if (c === Ch.LBrace) {
          this.string('object key');
          this.ws();
          this.expect(Ch.Colon, '":" after an object key');
        }
        this.skipValue(path, depth + 1);
        this.ws();
        const n = this.peek();
        if (n === Ch.Comma) {
          this.pos++;
          continue;
        }
        if (n === close) {
          this.pos++;
          return;
        }
        throw this.syntax(`"," or "${String.fromCharCode(close)}"`);
      }
    } else if (this.matchWord('true') || this.matchWord('false') || this.matchWord('null')) {
      return;
    } else if (c === Ch.Minus || (c !== undefined && c >= Ch.Zero && c <= Ch.Nine)) {
      this.base = path;
      this.number(0);
    } else {
      throw this.syntax(`a JSON value (${path})`);
    }
  }

  private matchWord(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.buf[this.pos + i] !== word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  private ws(): void {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  private peek(): number | undefined {
    return this.buf[this.pos];
  }

  private expect(ch: number, what: string): void {
    if (this.buf[this.pos] !== ch) throw this.syntax(what);
    this.pos++;
  }

  private describeHere(): string {
    return this.describeAt(this.pos);
  }

  private describeAt(at: number): string {
    if (at >= this.buf.length) return 'the end of the body';
    const snippet = Buffer.from(this.buf.buffer, this.buf.byteOffset + at, Math.min(12, this.buf.length - at)).toString('latin1');
    return JSON.stringify(snippet.replace(/[^\x20-\x7e]/g, '?'));
  }

  private syntax(expected: string): PayloadError {
    return new PayloadError('INVALID_JSON', `malformed JSON at byte ${this.pos}: expected ${expected}, found ${this.describeHere()}`);
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(text: string, path: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new PayloadError('EMPTY_INPUT', `${path} is empty`);
  if (!BASE64.test(compact)) throw new PayloadError('INVALID_BASE64', `${path} is not valid base64`);
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}
