/**
 * The optional link from the runtime to the converter. @petal/model serves prepared ONNX backbones and
 * never needs TF.js; the TF.js → ONNX converter and the TF.js reference runtime live in
 * @petal/model-convert, which depends on this package. Where that package is installed (a development
 * checkout: `npm start`, `npm run train`, the tests), a cache miss is converted on first use, as before
 * the split; where it is not (the endpoint image), a miss fails with the command that prepares it.
 *
 * The import is dynamic and by a computed name on purpose: a static one would make the runtime depend on
 * the converter (a cycle, and TF.js in every image). For the same reason package.json does not list it,
 * not even as an optional peer: `npm ci --workspace @petal/endpoint` follows peer edges too and would
 * install the converter and TF.js into the endpoint image.
 */
import { fileURLToPath } from 'node:url';
import type { BackboneSpec, ExtractorOptions, FeatureExtractor, PreparedBackbone, PrepareOptions } from './spec.js';

export const CONVERTER_PACKAGE = '@petal/model-convert';

/** What @petal/model-convert's root module exports as `backboneConverter`. */
export interface BackboneConverter {
  /** Converts (or finds in the cache) the ONNX graph for a TF.js backbone, from the installed weights. */
  prepareBackbone(spec: BackboneSpec, opts?: PrepareOptions): Promise<PreparedBackbone>;
  /** The TF.js-wasm reference runtime. */
  createTfjsFeatureExtractor(spec: BackboneSpec, opts?: ExtractorOptions): Promise<FeatureExtractor>;
}

export type ConverterLoader = () => Promise<BackboneConverter | undefined>;

/**
 * True when `err` says the converter package itself is absent, not that something inside it failed:
 * Node says "Cannot find package '@petal/model-convert' imported from …" when it is not installed, and
 * "Cannot find module '…/model-convert/dist/index.js' imported from <this file>" when only its
 * package.json is there (a workspace manifest copied into an image without the package).
 */
function isConverterMissing(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string') return false;
  return message.includes(`'${CONVERTER_PACKAGE}'`) || message.includes(`imported from ${fileURLToPath(import.meta.url)}`);
}

let loaded: Promise<BackboneConverter | undefined> | undefined;

/** @petal/model-convert's converter, or undefined where it is not installed. */
export const loadConverter: ConverterLoader = () => {
  loaded ??= (async () => {
    const specifier: string = CONVERTER_PACKAGE;
    try {
      const module = (await import(specifier)) as { backboneConverter?: BackboneConverter };
      if (!module.backboneConverter) throw new Error(`${CONVERTER_PACKAGE} does not export backboneConverter; its version does not match @petal/model`);
      return module.backboneConverter;
    } catch (err) {
      if (isConverterMissing(err)) return undefined;
      throw err;
    }
  })();
  loaded.catch(() => (loaded = undefined));
  return loaded;
};
