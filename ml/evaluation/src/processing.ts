import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Where SageMaker mounts a job's files: /opt/ml. PETAL_SAGEMAKER_ROOT moves it elsewhere (tests, local
 * runs of a container layout); the training job's contract reads the same variable.
 */
export function sagemakerRoot(): string {
  return process.env.PETAL_SAGEMAKER_ROOT ?? '/opt/ml';
}

/**
 * The SageMaker Processing container contract as the evaluation job uses it: each ProcessingInput is
 * copied to /opt/ml/processing/input/<name>, each ProcessingOutput is uploaded from
 * /opt/ml/processing/output/<name>, the job's configuration is in /opt/ml/config/processingjobconfig.json,
 * and the first 1 KB of /opt/ml/output/message becomes the job's ExitMessage.
 *
 * Inputs: `model` (model.tar.gz or an unpacked model), `data` (one sub-folder per class), optional
 * `split` (a test-split.json; by default the one inside the model). Output: `evaluation`.
 */
export interface ProcessingPaths {
  input: string;
  output: string;
  config: string;
  message: string;
}

export function processingPaths(root = sagemakerRoot()): ProcessingPaths {
  return {
    input: join(root, 'processing/input'),
    output: join(root, 'processing/output'),
    config: join(root, 'config/processingjobconfig.json'),
    message: join(root, 'output/message'),
  };
}

/** True inside a SageMaker Processing container (or a local copy of its layout). */
export function isSageMakerProcessing(root = sagemakerRoot()): boolean {
  return existsSync(processingPaths(root).config);
}

export interface ProcessingInputs {
  /** A model.tar.gz or a model directory. */
  model: string;
  data: string;
  split?: string;
  outDir: string;
}

export async function resolveProcessingInputs(paths: ProcessingPaths): Promise<ProcessingInputs> {
  const input = (name: string) => (existsSync(join(paths.input, name)) ? join(paths.input, name) : undefined);
  const modelDir = input('model');
  if (!modelDir) throw new UsageError(`no "model" input under ${paths.input} (a ProcessingInput with destination ${join(paths.input, 'model')})`);
  const data = input('data');
  if (!data) throw new UsageError(`no "data" input under ${paths.input} (a ProcessingInput with destination ${join(paths.input, 'data')})`);
  const modelFiles = await readdir(modelDir);
  const archive = modelFiles.find((f) => f.endsWith('.tar.gz'));
  const model = archive ? join(modelDir, archive) : modelFiles.includes('manifest.json') ? modelDir : undefined;
  if (!model) throw new UsageError(`the "model" input ${modelDir} holds neither a model.tar.gz nor a manifest.json`);
  let split: string | undefined;
  const splitDir = input('split');
  if (splitDir) {
    const json = (await readdir(splitDir)).filter((f) => f.endsWith('.json'));
    if (json.length !== 1) throw new UsageError(`the "split" input ${splitDir} must hold exactly one .json file (a test-split.json), found ${json.length}`);
    split = join(splitDir, json[0]!);
  }
  return { model, data, ...(split ? { split } : {}), outDir: join(paths.output, 'evaluation') };
}

export async function writeExitMessage(paths: ProcessingPaths, message: string): Promise<void> {
  await mkdir(dirname(paths.message), { recursive: true });
  // SageMaker keeps the first 1 KB as the job's ExitMessage.
  await writeFile(paths.message, message.slice(0, 1024));
}
