import { readArtifact, saveArtifact, type ManifestDraft } from '../artifact/store.js';

/**
 * Writes `from` again without its out-of-scope calibration and weights: exactly the artifact a model
 * trained before the score existed is (format 1, head.bin with the head's tensors only), so tests can
 * show such models keep loading and serving.
 */
export async function writeUncalibratedCopy(from: string, to: string): Promise<void> {
  const { manifest, head } = await readArtifact(from);
  const { formatVersion: _format, head: headSection, outOfScope: _calibration, ...rest } = manifest;
  const draft: ManifestDraft = { ...rest, head: { architecture: headSection.architecture } };
  const { outOfScope: _weights, ...plainHead } = head;
  await saveArtifact(to, draft, plainHead, { archive: false });
}
