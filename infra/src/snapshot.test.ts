/**
 * The four templates as they stand, so any change to what `cdk deploy` would do shows up in review
 * (`npx vitest run infra -u` accepts an intended change). Asset hashes are masked: they follow the
 * bundled Lambda's bytes, which the Ml tests check on their own; everything else must be byte-stable,
 * which the first test proves by synthesizing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synth, type StackKey, type Synthesized } from './testing/synth.js';

const mask = (template: unknown) => JSON.parse(JSON.stringify(template).replaceAll(/[0-9a-f]{64}/g, '<asset-hash>')) as unknown;

let first: Synthesized;
let second: Synthesized;

beforeAll(() => {
  first = synth();
  second = synth();
});
afterAll(() => {
  first?.dispose();
  second?.dispose();
});

describe('templates', () => {
  it('are deterministic (two synths, same JSON, no timestamps)', () => {
    for (const key of ['network', 'ml', 'app', 'delivery'] as const) expect(JSON.stringify(second.json[key])).toBe(JSON.stringify(first.json[key]));
    expect(JSON.stringify(first.json)).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
  });

  for (const key of ['network', 'ml', 'app', 'delivery'] satisfies StackKey[]) {
    it(`${key} matches its snapshot`, () => {
      expect(mask(first.json[key])).toMatchSnapshot();
    });
  }
});
