import { describe, expect, it } from 'vitest';
import { createRng } from '@petal/model/rng';
import { stratifiedSplit } from './stratified-split.js';

describe('stratifiedSplit', () => {
  const items = [
    ...Array.from({ length: 100 }, (_, i) => ({ id: i, classIndex: 0 })),
    ...Array.from({ length: 20 }, (_, i) => ({ id: 100 + i, classIndex: 1 })),
  ];

  it('gives every class the same share in each part, deterministically', () => {
    const split = stratifiedSplit(items, 2, { validation: 0.2, test: 0.15 }, createRng(1));
    const count = (part: typeof items, c: number) => part.filter((x) => x.classIndex === c).length;
    expect([count(split.test, 0), count(split.test, 1)]).toEqual([15, 3]);
    expect([count(split.validation, 0), count(split.validation, 1)]).toEqual([20, 4]);
    expect(split.train.length + split.validation.length + split.test.length).toBe(120);
    const ids = new Set([...split.train, ...split.validation, ...split.test].map((x) => x.id));
    expect(ids.size).toBe(120);
    expect(stratifiedSplit(items, 2, { validation: 0.2, test: 0.15 }, createRng(1))).toEqual(split);
    expect(stratifiedSplit(items, 2, { validation: 0.2, test: 0.15 }, createRng(2)).test).not.toEqual(split.test);
  });

  it('refuses a class too small to split', () => {
    expect(() => stratifiedSplit([{ classIndex: 0 }, { classIndex: 1 }], 2, { validation: 0.5, test: 0.5 }, createRng(1))).toThrow(
      /too few to split/,
    );
  });
});
