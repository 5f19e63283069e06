/**
 * The smoke set: a few photos with known labels that a freshly deployed model must classify correctly
 * before it keeps serving. They come from the model's own held-out split (`test-split.json`), never
 * from its training photos, and leave out the photos its evaluation already got wrong (`mistakes` in
 * `evaluation.json`), so a correct deploy of that model passes the smoke test exactly and any wrong
 * answer means the deployed thing is not the model that was evaluated.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { EVALUATION_FILE, TEST_SPLIT_FILE, fileDigest, readEvaluationDocument, readTestSplit, type TestSplit } from '@petal/evaluation';
import { DATA_DIR, REPO_ROOT } from '@petal/stack';

/** One smoke photo by reference: relative to the data root, as the split names it. Serializable, so a registry can store the choice. */
export interface SmokePhoto {
  path: string;
  label: string;
  sha256: string;
}

/** One smoke case ready to send: the image bytes and the label the model must answer. */
export interface SmokeCase {
  /** For messages: the photo's path, or a test's name for a generated image. */
  name: string;
  label: string;
  image: Uint8Array;
}

export class SmokeSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeSetError';
  }
}

export const DEFAULT_SMOKE_PER_CLASS = 2;

/**
 * Picks `perClass` photos of every class from a held-out split, skipping `exclude` (the evaluation's
 * mistakes). The pick is by sha256 order, so it depends on the photos alone: choosing at registration
 * and choosing again at deploy time give the same set.
 */
export function chooseSmokePhotos(split: TestSplit, options: { perClass?: number; exclude?: Iterable<string> } = {}): SmokePhoto[] {
  const perClass = options.perClass ?? DEFAULT_SMOKE_PER_CLASS;
  if (!Number.isInteger(perClass) || perClass < 1) throw new SmokeSetError(`perClass must be a positive integer, got ${perClass}`);
  const excluded = new Set(options.exclude ?? []);
  const chosen = split.classes.flatMap((label) =>
    split.files
      .filter((f) => f.label === label && !excluded.has(f.path))
      .sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0))
      .slice(0, perClass)
      .map(({ path, sha256 }) => ({ path, label, sha256 })),
  );
  if (chosen.length === 0) throw new SmokeSetError(`the ${split.subset} split names no photo the model classified correctly: nothing to smoke-test with`);
  return chosen;
}

/** Reads the chosen photos from a data root, refusing a missing or changed one (the label would no longer be known). */
export async function readSmokePhotos(photos: readonly SmokePhoto[], dataRoot: string): Promise<SmokeCase[]> {
  return Promise.all(
    photos.map(async (photo) => {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(join(dataRoot, photo.path)));
      } catch {
        throw new SmokeSetError(`smoke photo ${photo.path} is missing from ${dataRoot}: point the deploy at the data set the model was trained from (PETAL_SMOKE_DATA)`);
      }
      if (fileDigest(bytes) !== photo.sha256) throw new SmokeSetError(`smoke photo ${photo.path} in ${dataRoot} is not the photo the model held out (sha256 differs)`);
      return { name: photo.path, label: photo.label, image: bytes };
    }),
  );
}

/**
 * Where the held-out photos are: the explicit root, else the split's own `source` when it is a local
 * folder (training records it as given, relative to the repository root), else the local data set.
 */
export function smokeDataRoot(split: TestSplit, explicit?: string): string {
  if (explicit) return explicit;
  if (!split.source.startsWith('s3://')) {
    const source = isAbsolute(split.source) ? split.source : resolve(REPO_ROOT, split.source);
    if (existsSync(source)) return source;
  }
  return DATA_DIR;
}

/**
 * The default smoke set of a model directory: its held-out split, less the evaluation's mistakes,
 * `perClass` photos per class. The mistakes come from `mistakes` (the registered evaluation.json's), else
 * from an `evaluation.json` inside the model; with neither, no photo is excluded and `screened` says so.
 */
export async function heldOutSmokeSet(
  modelDir: string,
  options: { dataRoot?: string; perClass?: number; mistakes?: readonly string[] } = {},
): Promise<{ cases: SmokeCase[]; screened: boolean; dataRoot: string }> {
  const splitFile = join(modelDir, TEST_SPLIT_FILE);
  if (!existsSync(splitFile)) throw new SmokeSetError(`the model has no ${TEST_SPLIT_FILE}, so no held-out photos to smoke-test with: pass the smoke set explicitly`);
  const split = await readTestSplit(splitFile);
  const evaluationFile = join(modelDir, EVALUATION_FILE);
  let mistakes = options.mistakes;
  if (!mistakes && existsSync(evaluationFile)) mistakes = await evaluationMistakes(evaluationFile);
  const dataRoot = smokeDataRoot(split, options.dataRoot);
  const photos = chooseSmokePhotos(split, { perClass: options.perClass, exclude: mistakes });
  return { cases: await readSmokePhotos(photos, dataRoot), screened: mistakes !== undefined, dataRoot };
}

/** The held-out photos an evaluation got wrong (paths relative to the data root, as in the split). */
export async function evaluationMistakes(evaluationFile: string): Promise<string[]> {
  return (await readEvaluationDocument(evaluationFile)).mistakes.map((m) => m.path);
}
