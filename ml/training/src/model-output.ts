import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EVALUATION_FILE,
  TEST_SPLIT_FILE,
  TRAINING_HISTORY_FILE,
  createTestSplit,
  testSplitJson,
  trainingHistoryJson,
  type EpochMetrics,
  type Sample,
  type TestSplit,
} from '@petal/evaluation';
import { ARCHIVE_FILE, METRICS_FILE, REPORT_FILE, saveArtifact, type HeadWeights, type ManifestDraft, type SavedArtifact } from '@petal/model';

export interface ModelOutput {
  outDir: string;
  draft: ManifestDraft;
  head: HeadWeights;
  history: { bestEpoch: number; epochs: readonly EpochMetrics[] };
  /** The images the head was not fitted on, and which share they are. */
  heldOut: { subset: TestSplit['subset']; samples: readonly Sample[]; source: string };
  archive: boolean;
}

/**
 * Writes what the training step leaves for the next one: the model (manifest without metrics, head.bin),
 * test-split.json and training-history.json, and model.tar.gz with all of them unless told not to.
 */
export async function writeModel(output: ModelOutput): Promise<SavedArtifact & { testSplit: TestSplit }> {
  const testSplit = createTestSplit(output.heldOut.samples, {
    classes: output.draft.labels.map((l) => l.key),
    subset: output.heldOut.subset,
    source: output.heldOut.source,
    datasetFingerprint: output.draft.dataset.fingerprint,
  });
  await removeStaleOutputs(output.outDir, output.archive);
  const saved = await saveArtifact(output.outDir, output.draft, output.head, {
    files: {
      [TEST_SPLIT_FILE]: testSplitJson(testSplit),
      [TRAINING_HISTORY_FILE]: trainingHistoryJson(output.history),
    },
    archive: output.archive,
  });
  return { ...saved, testSplit };
}

/**
 * Evaluation results of an earlier model in the same folder would describe a model that no longer
 * exists; so would an old model.tar.gz when this run writes none.
 */
async function removeStaleOutputs(dir: string, archive: boolean): Promise<void> {
  const stale = [METRICS_FILE, REPORT_FILE, EVALUATION_FILE, ...(archive ? [] : [ARCHIVE_FILE])];
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
}
