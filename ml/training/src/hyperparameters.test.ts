import { describe, expect, it } from 'vitest';
import { parseHyperparameters } from './hyperparameters.js';

describe('hyperparameters', () => {
  it('accepts SageMaker-style strings and underscores, with defaults', () => {
    const hp = parseHyperparameters({ epochs: '5', batch_size: '32', 'learning-rate': '0.0001', dropout: '0.2' });
    expect(hp).toMatchObject({ epochs: 5, 'batch-size': 32, 'learning-rate': 1e-4, dropout: 0.2, 'validation-split': 0.2 });
  });

  it('refuses unknown names and bad values with a message that names them', () => {
    expect(() => parseHyperparameters({ epoch: '5' })).toThrow(/unknown hyperparameter\(s\): epoch/);
    expect(() => parseHyperparameters({ epochs: 'many' })).toThrow(/epochs/);
    expect(() => parseHyperparameters({ dropout: '1.5' })).toThrow(/dropout/);
  });
});
