/**
 * The four templates as they stand, so any change to what `cdk deploy` would do shows up in review
 * (`npx vitest run infra -u` accepts an intended change). Two things are masked because they follow
 * other packages and are checked on their own: asset hashes (the bundled deploy Lambda's bytes; the Ml
 * tests load the bundle) and the pipeline definition body (ml/pipeline's compiled definition; the Ml
 * tests compare it with `compilePipeline` setting by setting). Everything else must be byte-stable,
 * which the first test proves by synthesizing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synth, type StackKey, type Synthesized } from './testing/synth.js';

const mask = (template: unknown) =>
  JSON.parse(JSON.stringify(template).replaceAll(/[0-9a-f]{64}/g, '<asset-hash>'), (key, value: unknown) =>
    key === 'PipelineDefinitionBody' ? '<the compiled flower pipeline: see stacks.test.ts>' : value,
  ) as unknown;

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
