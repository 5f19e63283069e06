import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError, describeIssues } from './errors.js';
import { fileDigest, fingerprintFiles, type Sample } from './image-folder.js';

/**
 * The held-out split a training run leaves next to its model: exactly which photos it kept out of
 * fitting, so a separate evaluation job scores the model on those photos and no others. Paths are
 * relative to the data root (`<class>/<file>`), so the same split works on a local folder, an s3://
 * prefix or a SageMaker Processing input; each file's sha256 makes a changed photo an error rather than
 * a silently different test set.
 */
export const TEST_SPLIT_FILE = 'test-split.json';

export const testSplitSchema = z.object({
  version: z.literal(1),
  /**
   * `test`: the stratified test share (or the separate test set) never seen in training. `validation`:
   * the run kept no test share, so the validation images stand in; the kept weights were chosen on
   * them, so numbers on them are optimistic.
   */
  subset: z.enum(['test', 'validation']),
  /** Where the training data came from (a path or an s3:// URI), for people reading the file. */
  source: z.string(),
  /** Fingerprint of the whole data set the model was trained from (the manifest's `dataset.fingerprint`). */
  datasetFingerprint: z.string(),
  /** Fingerprint of the files below (same scheme: sorted `<path>:<sha256>` lines, hashed). */
  fingerprint: z.string(),
  /** The model's classes in output order. */
  classes: z.array(z.string().min(1)).min(2),
  files: z.array(
    z.object({
      path: z.string().regex(/^[^/\\]+\/[^/\\]+$/, 'must be <class>/<file>'),
      label: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});
export type TestSplit = z.infer<typeof testSplitSchema>;

export function createTestSplit(
  samples: readonly Sample[],
  options: { classes: readonly string[]; subset: TestSplit['subset']; source: string; datasetFingerprint: string },
): TestSplit {
  const files = samples.map((s) => ({ path: s.id, label: options.classes[s.classIndex]!, sha256: fileDigest(s.bytes) }));
  return {
    version: 1,
    subset: options.subset,
    source: options.source,
    datasetFingerprint: options.datasetFingerprint,
    fingerprint: fingerprintFiles(files.map((f) => ({ id: f.path, sha256: f.sha256 }))),
    classes: [...options.classes],
    files,
  };
}

export function testSplitJson(split: TestSplit): string {
  return `${JSON.stringify(split, null, 2)}\n`;
}

export async function readTestSplit(path: string): Promise<TestSplit> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the test split ${path}: ${(err as Error).message}`);
  }
  const parsed = testSplitSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${path} is not a Petal test split: ${describeIssues(parsed.error.issues)}`);
  const split = parsed.data;
  const unknownLabel = split.files.find((f) => !split.classes.includes(f.label) || !f.path.startsWith(`${f.label}/`));
  if (unknownLabel) throw new UsageError(`${path}: ${unknownLabel.path} is labelled ${unknownLabel.label}, which is not its class folder or not one of [${split.classes}]`);
  return split;
}

/**
 * Reads exactly the photos a split lists from a data root, refusing a missing or changed photo with a
 * message that names it (evaluating on different photos than the ones held out would be a quiet lie).
 */
export async function readSplitSamples(root: string, split: TestSplit): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const file of split.files) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(root, file.path)));
    } catch {
      throw new UsageError(
        `${file.path}, listed in the test split, is missing from ${root}: evaluate on the data set the model was trained from (${split.source}), or pass --all to score every image in ${root}`,
      );
    }
    if (fileDigest(bytes) !== file.sha256) {
      throw new UsageError(`${file.path} in ${root} is not the photo the model held out (its sha256 differs from the test split's)`);
    }
    samples.push({ id: file.path, classIndex: split.classes.indexOf(file.label), bytes });
  }
  return samples;
}
