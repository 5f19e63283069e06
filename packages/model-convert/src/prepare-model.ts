/**
 * Prepare exactly the backbone a trained model needs — the id, weights fingerprint, feature layers and
 * input size its manifest records — and prove the runtime will find it without converting anything.
 */
import {
  BackboneError,
  backboneFor,
  locateBackbone,
  readArtifact,
  type BackboneSpec,
  type Manifest,
  type PreparedBackbone,
  type PrepareOptions,
} from '@petal/model';
import { prepareBackbone } from './prepare.js';

export interface PreparedModelBackbone {
  manifest: Manifest;
  spec: BackboneSpec;
  prepared: PreparedBackbone;
}

/** `location`: a model directory or model.tar.gz. */
export async function prepareModelBackbone(location: string, opts: PrepareOptions = {}): Promise<PreparedModelBackbone> {
  const { manifest } = await readArtifact(location);
  const spec = backboneFor(manifest);
  const model = `model ${manifest.name}@${manifest.version}`;
  const prepared = await prepareBackbone(spec, opts);
  if (prepared.fingerprint !== manifest.backbone.fingerprint) {
    throw new BackboneError(
      `${model} needs backbone weights ${manifest.backbone.fingerprint}, but the installed backbone is ${prepared.fingerprint}; ` +
        'install the backbone version it was trained with (the nsfwjs version in the fingerprint) or retrain',
    );
  }
  if (prepared.featureDim !== manifest.backbone.featureDim) {
    throw new BackboneError(`backbone gives ${prepared.featureDim} features, the head of ${model} expects ${manifest.backbone.featureDim}`);
  }
  // The lookup serving does, with no converter to fall back on: it must hit, or serving would convert.
  await locateBackbone(spec, { cacheDir: opts.cacheDir, fingerprint: manifest.backbone.fingerprint, converter: async () => undefined });
  return { manifest, spec, prepared };
}
