/**
 * `npm run model:prepare` — generate (or verify) the cached ONNX backbone ahead of time, e.g. while
 * building a container image, so the first request does not pay for the conversion.
 *
 *   npm run model:prepare -- [--cache-dir DIR] [--layers a,b,c] [--tfjs path/model.json | --onnx path-or-url] [--force]
 */
import { parseArgs } from 'node:util';
import { createFeatureExtractor } from './create-extractor.js';
import { prepareBackbone } from './prepare.js';
import { BackboneError, DEFAULT_BACKBONE, type BackboneSpec } from './spec.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'cache-dir': { type: 'string' },
      layers: { type: 'string' },
      tfjs: { type: 'string' },
      onnx: { type: 'string' },
      'input-size': { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run model:prepare -- [--cache-dir DIR] [--layers a,b,c] [--tfjs model.json | --onnx path-or-url] [--input-size N] [--force]');
    return;
  }
  if (values.tfjs && values.onnx) throw new BackboneError('give --tfjs or --onnx, not both');
  const spec: BackboneSpec = {
    ...DEFAULT_BACKBONE,
    featureLayers: values.layers ? values.layers.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_BACKBONE.featureLayers],
    inputSize: values['input-size'] ? Number(values['input-size']) : DEFAULT_BACKBONE.inputSize,
  };
  if (values.tfjs) Object.assign(spec, { id: `tfjs:${values.tfjs}`, source: { kind: 'tfjs', modelJson: values.tfjs } });
  if (values.onnx) Object.assign(spec, { id: `onnx:${values.onnx}`, source: { kind: 'onnx', path: values.onnx } });

  const started = performance.now();
  const prepared = await prepareBackbone(spec, { cacheDir: values['cache-dir'], force: values.force });
  const prepareMs = performance.now() - started;
  // Load it once in ONNX Runtime and run a blank image: proves the file is usable, not just present.
  const extractor = await createFeatureExtractor(spec, { cacheDir: values['cache-dir'] });
  await extractor.dispose();
  console.log(JSON.stringify({ ...prepared, backboneId: spec.id, featureLayers: spec.featureLayers, prepareMs: Math.round(prepareMs) }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err instanceof BackboneError ? `model:prepare: ${err.message}` : err);
  process.exitCode = 1;
});
