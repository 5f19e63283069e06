import { describe, expect, it } from 'vitest';
import { checkKey, checkLockName, joinKey } from './keys.js';

describe('store keys', () => {
  it('accepts relative /-separated keys and refuses ones that could leave the root', () => {
    expect(checkKey('registry/flower-classifier/versions/1.json')).toBe('registry/flower-classifier/versions/1.json');
    for (const bad of ['', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a\\b', 'a/']) expect(() => checkKey(bad)).toThrow(/store key/);
  });
  it('joins parts without doubling separators', () => {
    expect(joinKey('runs/', '/a/b', '', 'c')).toBe('runs/a/b/c');
  });
  it('keeps lock names to one safe segment', () => {
    expect(checkLockName('registry-flower-classifier')).toBe('registry-flower-classifier');
    expect(() => checkLockName('../x')).toThrow(/lock name/);
  });
});
