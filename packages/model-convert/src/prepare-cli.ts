/**
 * `npm run model:prepare` — convert the backbone a model needs to ONNX ahead of time, into the cache the
 * runtime reads (PETAL_CACHE_DIR, else <repo>/.cache/petal), so serving converts nothing: run it while
 * building the endpoint image, in CI, or once after `npm install`.
 *
 *   npm run model:prepare                                  the shipped model's backbone (models/flower-classifier)
 *   npm run model:prepare -- --model <dir|model.tar.gz>    exactly that model's backbone
 *   npm run model:prepare -- [--layers a,b,c] [--input-size N] [--tfjs model.json | --onnx path-or-url]
 *                                                          a backbone by hand (default: DEFAULT_BACKBONE)
 *   common options: [--cache-dir DIR] [--force]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BackboneError, DEFAULT_BACKBONE, ModelArtifactError, createOnnxFeatureExtractor, resolveCacheDir, type BackboneSpec } from '@petal/model';
import { MODEL_DIR, hasModelAt } from '@petal/stack';
import { prepareBackbone } from './prepare.js';
import { prepareModelBackbone } from './prepare-model.js';

const USAGE = `usage: npm run model:prepare -- [--model <dir|model.tar.gz>] [--cache-dir DIR] [--force]
       npm run model:prepare -- [--layers a,b,c] [--input-size N] [--tfjs model.json | --onnx path-or-url] [--cache-dir DIR] [--force]
With no options it prepares the backbone of the model the local stack serves (${MODEL_DIR}: PETAL_MODEL_DIR, else the shipped one).`;

class UsageError extends Error {}

function specFromOptions(values: { layers?: string; tfjs?: string; onnx?: string; 'input-size'?: string }): BackboneSpec {
  if (values.tfjs && values.onnx) throw new UsageError('give --tfjs or --onnx, not both');
  const inputSize = values['input-size'] ? Number(values['input-size']) : DEFAULT_BACKBONE.inputSize;
  if (!Number.isInteger(inputSize) || inputSize <= 0) throw new UsageError(`--input-size must be a positive integer, not ${values['input-size']}`);
  const spec: BackboneSpec = {
    ...DEFAULT_BACKBONE,
    featureLayers: values.layers ? values.layers.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_BACKBONE.featureLayers],
    inputSize,
  };
  if (values.tfjs) Object.assign(spec, { id: `tfjs:${values.tfjs}`, source: { kind: 'tfjs', modelJson: values.tfjs } });
  if (values.onnx) Object.assign(spec, { id: `onnx:${values.onnx}`, source: { kind: 'onnx', path: values.onnx } });
  return spec;
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        model: { type: 'string' },
        'cache-dir': { type: 'string' },
        layers: { type: 'string' },
        tfjs: { type: 'string' },
        onnx: { type: 'string' },
        'input-size': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // Unknown options, missing values: node:util says which; show the usage with it.
    throw new UsageError((err as Error).message);
  }
}

async function main(): Promise<void> {
  const { values } = parseCommandLine();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const byHand = values.layers !== undefined || values.tfjs !== undefined || values.onnx !== undefined || values['input-size'] !== undefined;
  if (values.model && byHand) throw new UsageError('--model takes the backbone from the model; leave out --layers, --input-size, --tfjs and --onnx');
  // No options: the model `npm start` serves (the shipped one unless PETAL_MODEL_DIR says otherwise), so
  // a fresh checkout and CI prepare exactly what they will serve.
  if (!values.model && !byHand && !hasModelAt(MODEL_DIR)) {
    throw new UsageError(`no model at ${MODEL_DIR} to prepare the backbone of; give --model, or --layers for a backbone by hand`);
  }
  const model = values.model ?? (byHand ? undefined : MODEL_DIR);
  const cacheDir = resolveCacheDir(values['cache-dir']);
  const opts = { cacheDir, force: values.force };

  const started = performance.now();
  const { spec, prepared, forModel } = model
    ? await prepareModelBackbone(model, opts).then((r) => ({ ...r, forModel: `${r.manifest.name}@${r.manifest.version} (${path.resolve(model)})` }))
    : await (async () => {
        const spec = specFromOptions(values);
        return { spec, prepared: await prepareBackbone(spec, opts), forModel: undefined };
      })();
  const prepareMs = performance.now() - started;
  // Load it in ONNX Runtime and run a blank image: proves the file is usable, not just present.
  const extractor = await createOnnxFeatureExtractor({
    model: prepared.onnxPath,
    backboneId: spec.id,
    fingerprint: prepared.fingerprint,
    inputSize: spec.inputSize,
    featureLayers: spec.featureLayers,
  });
  await extractor.dispose();
  console.log(
    JSON.stringify(
      { model: forModel ?? null, backboneId: spec.id, featureLayers: spec.featureLayers, cacheDir, ...prepared, prepareMs: Math.round(prepareMs) },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`model:prepare: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof BackboneError || err instanceof ModelArtifactError) {
    console.error(`model:prepare: ${err.message}`);
    process.exitCode = 1;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
});
