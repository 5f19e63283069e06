/**
 * TF.js layers-model artifacts (topology JSON + weight bytes) from the nsfwjs package or from a
 * `model.json` on disk, plus a weight decoder that reproduces tfjs-core's dequantization exactly so
 * the ONNX conversion sees the very numbers TF.js computes with.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { BackboneError } from '@petal/model';

const require = createRequire(import.meta.url);

const quantizationSchema = z.object({
  dtype: z.enum(['uint8', 'uint16', 'float16']),
  min: z.number().optional(),
  scale: z.number().optional(),
});

const weightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  quantization: quantizationSchema.optional(),
});
export type WeightSpec = z.infer<typeof weightSpecSchema>;

const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSpecSchema) })),
});

export interface LayersModelArtifacts {
  /** Human-readable origin, for error messages. */
  label: string;
  /** `<package version or file name>:<sha256 prefix of topology + weights>`. */
  fingerprint: string;
  modelTopology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  /** All weight shards concatenated in manifest order. */
  weightData: Uint8Array;
}

export interface DecodedWeight {
  shape: number[];
  values: Float32Array;
}

function fingerprintOf(prefix: string, topology: unknown, weightData: Uint8Array): string {
  const hash = createHash('sha256').update(JSON.stringify(topology)).update(weightData).digest('hex');
  return `${prefix}:${hash.slice(0, 16)}`;
}

/** The nsfwjs package root, found from its resolved entry point (its `exports` hide package.json). */
export function nsfwjsPackageRoot(): string {
  let dir = path.dirname(require.resolve('nsfwjs'));
  for (;;) {
    try {
      const pkg = require(path.join(dir, 'package.json')) as { name?: string };
      if (pkg.name === 'nsfwjs') return dir;
    } catch {
      // no package.json at this level: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new BackboneError('cannot locate the nsfwjs package root');
    dir = parent;
  }
}

let nsfwjsCache: Promise<LayersModelArtifacts> | undefined;

/**
 * MobileNetV2 as shipped in nsfwjs: two UMD bundles (its models folder is CommonJS), one exporting
 * `{modelTopology, weightsManifest}`, the other the single weight shard as a base64 string.
 */
export function loadNsfwjsArtifacts(): Promise<LayersModelArtifacts> {
  nsfwjsCache ??= (async () => {
    const root = nsfwjsPackageRoot();
    const version = (require(path.join(root, 'package.json')) as { version: string }).version;
    const dir = path.join(root, 'dist', 'models', 'mobilenet_v2');
    const modelJson = modelJsonSchema.parse(require(path.join(dir, 'model.min.js')));
    const shard: unknown = require(path.join(dir, 'group1-shard1of1.min.js'));
    const base64 = typeof shard === 'string' ? shard : Object.values(shard as Record<string, string>)[0];
    if (typeof base64 !== 'string') throw new BackboneError('nsfwjs mobilenet_v2 weight shard has an unexpected format');
    const weightData = new Uint8Array(Buffer.from(base64, 'base64'));
    const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
    return {
      label: `nsfwjs@${version} mobilenet_v2`,
      fingerprint: fingerprintOf(`nsfwjs@${version}`, modelJson.modelTopology, weightData),
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData,
    };
  })();
  nsfwjsCache.catch(() => (nsfwjsCache = undefined));
  return nsfwjsCache;
}

/** A TF.js layers model saved as `model.json` with its weight shards in the same folder. */
export async function loadTfjsArtifacts(modelJsonPath: string): Promise<LayersModelArtifacts> {
  let parsed: z.infer<typeof modelJsonSchema>;
  try {
    parsed = modelJsonSchema.parse(JSON.parse(await readFile(modelJsonPath, 'utf8')));
  } catch (err) {
    throw new BackboneError(`cannot read TF.js layers model ${modelJsonPath}: ${(err as Error).message}`);
  }
  const dir = path.dirname(modelJsonPath);
  const shards: Uint8Array[] = [];
  for (const group of parsed.weightsManifest) {
    for (const shardPath of group.paths) {
      shards.push(new Uint8Array(await readFile(path.resolve(dir, shardPath))));
    }
  }
  const weightData = new Uint8Array(Buffer.concat(shards));
  return {
    label: modelJsonPath,
    fingerprint: fingerprintOf(path.basename(dir) || 'tfjs', parsed.modelTopology, weightData),
    modelTopology: parsed.modelTopology,
    weightSpecs: parsed.weightsManifest.flatMap((group) => group.weights),
    weightData,
  };
}

const BYTES_PER = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

/** Same arithmetic as tfjs-core `io.decodeWeights` (so both runtimes start from identical floats). */
export function decodeWeights(artifacts: LayersModelArtifacts): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  const data = artifacts.weightData;
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    const storage = q ? q.dtype : spec.dtype;
    const width = BYTES_PER[storage as keyof typeof BYTES_PER];
    if (width === undefined) throw new BackboneError(`weight ${spec.name}: unsupported dtype ${storage}`);
    const byteLength = size * width;
    if (offset + byteLength > data.length) {
      throw new BackboneError(`weight ${spec.name}: weight data ends early (${artifacts.label})`);
    }
    // Copy so the typed array is aligned whatever the offset.
    const bytes = data.slice(offset, offset + byteLength);
    offset += byteLength;
    let values: Float32Array;
    if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
      if (q.min === undefined || q.scale === undefined) {
        throw new BackboneError(`weight ${spec.name}: ${q.dtype} quantization without min/scale`);
      }
      const quantized = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.buffer);
      values = new Float32Array(size);
      for (let i = 0; i < size; i++) values[i] = quantized[i]! * q.scale + q.min;
    } else if (q?.dtype === 'float16') {
      values = float16ToFloat32(new Uint16Array(bytes.buffer));
    } else if (spec.dtype === 'float32') {
      values = new Float32Array(bytes.buffer);
    } else if (spec.dtype === 'int32') {
      values = Float32Array.from(new Int32Array(bytes.buffer));
    } else {
      throw new BackboneError(`weight ${spec.name}: unsupported dtype ${spec.dtype}`);
    }
    out.set(spec.name, { shape: spec.shape, values });
  }
  return out;
}

function float16ToFloat32(half: Uint16Array): Float32Array {
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) {
    const h = half[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** -14 * (mantissa / 1024);
    else if (exponent === 31) out[i] = mantissa ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
  }
  return out;
}

/** Load the artifacts a TF.js-convertible backbone source names. */
export async function loadLayersArtifacts(
  source: { kind: 'nsfwjs'; model: 'mobilenet_v2' } | { kind: 'tfjs'; modelJson: string },
): Promise<LayersModelArtifacts> {
  if (source.kind === 'nsfwjs') {
    if (source.model !== 'mobilenet_v2') throw new BackboneError(`unknown nsfwjs model ${String(source.model)}`);
    return loadNsfwjsArtifacts();
  }
  return loadTfjsArtifacts(source.modelJson);
}
