import { readArtifact, type HeadWeights } from '@petal/model';
import { UsageError } from './hyperparameters.js';

/**
 * The head of a previous model to continue training from, refused when it cannot fit this run: other
 * classes (output order) or other backbone weights (other features) would make its weights meaningless.
 */
export async function loadInitialHead(
  location: string,
  run: { classes: readonly string[]; backboneFingerprint: string },
): Promise<{ head: HeadWeights; from: { name: string; version: string } }> {
  const previous = await readArtifact(location);
  const keys = previous.manifest.labels.map((l) => l.key);
  if (keys.join() !== run.classes.join() || previous.manifest.backbone.fingerprint !== run.backboneFingerprint) {
    throw new UsageError(
      `cannot continue from ${location}: it was trained on classes [${keys}] with backbone ${previous.manifest.backbone.fingerprint}, ` +
        `this run has [${run.classes}] with ${run.backboneFingerprint}`,
    );
  }
  return { head: previous.head, from: { name: previous.manifest.name, version: previous.manifest.version } };
}
