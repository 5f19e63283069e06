import { describe, expect, it } from 'vitest';
import type { ClassifyAnswer } from '@petal/contracts';
import { classifierReducer, initialClassifierState, type ChosenImage, type ClassifierState } from './classifier-state.js';

const image = (name: string): ChosenImage => ({ file: new Blob(['x']), fileName: name, previewUrl: `blob:${name}` });
const response: ClassifyAnswer = {
  result: { no: 1, name: 'Bellflower', acc: 0.8, description: 'bells' },
  top: [{ no: 1, key: 'bellflower', name: 'Bellflower', probability: 0.8 }],
  model: { name: 'flower-classifier', version: '1.0.0' },
  lang: 'en',
  elapsedMs: 9,
  confident: true,
  verdict: 'flower',
};

describe('classifier state machine', () => {
  it('goes idle → selected → busy → result', () => {
    let s: ClassifierState = initialClassifierState;
    s = classifierReducer(s, { type: 'select', image: image('a') });
    expect(s.phase).toBe('selected');
    s = classifierReducer(s, { type: 'submit', attempt: 1 });
    expect(s).toMatchObject({ phase: 'busy', attempt: 1 });
    s = classifierReducer(s, { type: 'succeeded', attempt: 1, response });
    expect(s).toMatchObject({ phase: 'result', response });
    expect(s.phase === 'result' && s.image.fileName).toBe('a');
  });

  it('goes busy → error and can retry the same photo', () => {
    let s = classifierReducer(initialClassifierState, { type: 'select', image: image('a') });
    s = classifierReducer(s, { type: 'submit', attempt: 1 });
    s = classifierReducer(s, { type: 'failed', attempt: 1, failure: { kind: 'busy', status: 503 } });
    expect(s).toMatchObject({ phase: 'error', failure: { kind: 'busy' } });
    s = classifierReducer(s, { type: 'submit', attempt: 2 });
    expect(s).toMatchObject({ phase: 'busy', attempt: 2 });
  });

  it('ignores answers for an upload that was cleared or replaced', () => {
    let s = classifierReducer(initialClassifierState, { type: 'select', image: image('a') });
    s = classifierReducer(s, { type: 'submit', attempt: 1 });
    s = classifierReducer(s, { type: 'select', image: image('b') });
    s = classifierReducer(s, { type: 'succeeded', attempt: 1, response });
    expect(s).toMatchObject({ phase: 'selected', image: { fileName: 'b' } });
    s = classifierReducer(s, { type: 'submit', attempt: 2 });
    s = classifierReducer(s, { type: 'failed', attempt: 1, failure: { kind: 'network' } });
    expect(s.phase).toBe('busy');
    s = classifierReducer(s, { type: 'clear' });
    s = classifierReducer(s, { type: 'succeeded', attempt: 2, response });
    expect(s.phase).toBe('idle');
  });

  it('cannot submit without a photo or twice at once', () => {
    expect(classifierReducer(initialClassifierState, { type: 'submit', attempt: 1 }).phase).toBe('idle');
    const busy = classifierReducer(classifierReducer(initialClassifierState, { type: 'select', image: image('a') }), { type: 'submit', attempt: 1 });
    expect(classifierReducer(busy, { type: 'submit', attempt: 2 })).toBe(busy);
  });

  it('shows an error found before upload with the photo kept', () => {
    const s = classifierReducer(initialClassifierState, { type: 'rejected', image: image('big'), failure: { kind: 'too_large' } });
    expect(s).toMatchObject({ phase: 'error', image: { fileName: 'big' }, failure: { kind: 'too_large' } });
  });
});
