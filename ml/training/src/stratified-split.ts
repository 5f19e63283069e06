import { UsageError } from '@petal/evaluation';
import { shuffleInPlace, type Rng } from '@petal/model/rng';

export interface Split<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * A stratified split: each class contributes the same fractions to validation and test, so a small class
 * is never missing from the test set. Deterministic for a given rng.
 */
export function stratifiedSplit<T extends { classIndex: number }>(
  items: readonly T[],
  numClasses: number,
  fractions: { validation: number; test: number },
  rng: Rng,
): Split<T> {
  const split: Split<T> = { train: [], validation: [], test: [] };
  for (let c = 0; c < numClasses; c++) {
    const members = shuffleInPlace(items.filter((s) => s.classIndex === c), rng);
    const nTest = Math.round(members.length * fractions.test);
    const nVal = Math.round(members.length * fractions.validation);
    if (members.length - nTest - nVal < 1) {
      throw new UsageError(`class ${c} has only ${members.length} image(s): too few to split into train/validation/test`);
    }
    split.test.push(...members.slice(0, nTest));
    split.validation.push(...members.slice(nTest, nTest + nVal));
    split.train.push(...members.slice(nTest + nVal));
  }
  return split;
}
