import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sagemakerRoot } from '@petal/evaluation';

/**
 * The SageMaker training-container contract: hyperparameters (all strings) in
 * /opt/ml/input/config/hyperparameters.json, one folder per channel under /opt/ml/input/data, the model
 * written to /opt/ml/model (SageMaker tars it into model.tar.gz), a failure reason in /opt/ml/output/failure.
 * PETAL_SAGEMAKER_ROOT moves /opt/ml elsewhere (tests, local runs of the container layout), as it does
 * for the evaluation job's Processing contract.
 */
export interface SageMakerPaths {
  hyperparameters: string;
  channels: string;
  model: string;
  failure: string;
  output: string;
}

export function sagemakerPaths(root = sagemakerRoot()): SageMakerPaths {
  return {
    hyperparameters: join(root, 'input/config/hyperparameters.json'),
    channels: join(root, 'input/data'),
    model: join(root, 'model'),
    output: join(root, 'output'),
    failure: join(root, 'output/failure'),
  };
}

/** True inside a SageMaker training container (or a local copy of its layout). */
export function isSageMakerTraining(root = sagemakerRoot()): boolean {
  return existsSync(join(root, 'input/config'));
}

export async function readSageMakerHyperparameters(paths: SageMakerPaths): Promise<Record<string, string>> {
  if (!existsSync(paths.hyperparameters)) return {};
  const parsed = JSON.parse(await readFile(paths.hyperparameters, 'utf8')) as Record<string, unknown>;
  // SageMaker passes strings; the SDK sometimes JSON-encodes them a second time ("\"32\"").
  return Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/^"(.*)"$/, '$1') : String(v)]),
  );
}

export interface Channels {
  train: string;
  test?: string;
  /** A previous model.tar.gz (or unpacked model) to continue training from. */
  model?: string;
  /** Images of other things for the out-of-scope score (`--negatives` of a local run). */
  negatives?: string;
}

export async function resolveChannels(paths: SageMakerPaths): Promise<Channels> {
  const channel = (name: string) => (existsSync(join(paths.channels, name)) ? join(paths.channels, name) : undefined);
  const train = channel('train') ?? channel('training');
  if (!train) throw new Error(`no "train" channel under ${paths.channels}`);
  const modelDir = channel('model');
  let model: string | undefined;
  if (modelDir) {
    const files = await readdir(modelDir);
    const archive = files.find((f) => f.endsWith('.tar.gz'));
    model = archive ? join(modelDir, archive) : files.includes('manifest.json') ? modelDir : undefined;
  }
  const negatives = channel('negatives');
  return { train, ...(channel('test') ? { test: channel('test') } : {}), ...(model ? { model } : {}), ...(negatives ? { negatives } : {}) };
}

export async function writeFailure(paths: SageMakerPaths, reason: string): Promise<void> {
  await mkdir(paths.output, { recursive: true });
  // SageMaker shows the first 1024 characters as the job's FailureReason.
  await writeFile(paths.failure, reason.slice(0, 1024));
}
