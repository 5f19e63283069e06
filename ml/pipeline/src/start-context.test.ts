import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalModelRegistry } from '@petal/registry';
import { samplePackage } from '@petal/registry/testing';
import { openStore } from '@petal/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployedModel } from './start-context.js';

// The real local registry, in a temporary store: what the local executor will read at start.
describe('deployedModel', () => {
  let dir: string;
  let registry: LocalModelRegistry;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-pipeline-registry-'));
    registry = new LocalModelRegistry(openStore(dir), { onWarning: () => undefined });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is undefined while nothing is deployed, even with approved versions', async () => {
    await registry.register(samplePackage({ approval: 'Approved' }));
    await expect(deployedModel(registry, 'flower-classifier')).resolves.toBeUndefined();
  });

  it("gives the deployed version's registered accuracy, not the latest version's", async () => {
    await registry.register(samplePackage({ approval: 'Approved', metrics: { accuracy: 0.95, macroF1: 0.94, testSize: 351 } }));
    await registry.register(samplePackage({ approval: 'Approved', metrics: { accuracy: 0.97, macroF1: 0.96, testSize: 351 } }));
    await registry.recordDeployment('flower-classifier', 1);
    await expect(deployedModel(registry, 'flower-classifier')).resolves.toEqual({ version: 1, accuracy: 0.95 });
  });
});
