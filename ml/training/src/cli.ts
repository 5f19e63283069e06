#!/usr/bin/env node
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { downloadS3Prefix } from '@petal/evaluation';
import { HYPERPARAMETER_NAMES, UsageError, parseHyperparameters } from './hyperparameters.js';
import {
  isSageMakerTraining,
  readSageMakerHyperparameters,
  resolveChannels,
  sagemakerPaths,
  writeFailure,
} from './sagemaker.js';
import { trainAndEvaluate } from './train-and-evaluate.js';
import { train } from './train.js';

const USAGE = `usage: npm run train -- --data <dir | s3://bucket/prefix> --out <dir> [options]

  --data <dir|s3://…>     training images, one sub-folder per class
  --test-data <dir|s3://…> a separate test set (default: a stratified share of --data)
  --out <dir>             where the model directory (and model.tar.gz) is written
  --initial-model <path>  continue from a previous model (directory or model.tar.gz)
  --train-only            the training step alone, as a pipeline runs it: the model without metrics,
                          its test-split.json and training-history.json; score it later with
                          npm run evaluate -- --model <out> --data <data> --out <dir>
  --runtime onnx|tfjs     backbone runtime for feature extraction (default onnx)
  --quiet                 no progress bars
${HYPERPARAMETER_NAMES.map((n) => `  --${n} <value>`).join('\n')}

--negatives <dir|s3://…> names images of other things (none of the classes, searched recursively): the
out-of-scope score learns to tell the photos from them (outlier exposure); without it the score is the
distance to the training photos alone. \`npm run negatives\` fetches the shipped model's examples.

By default it trains, then evaluates the model on the photos it held out (as npm run evaluate does) and
records the results with the model: manifest metrics, metrics.json, evaluation.json, report.html.

Inside a SageMaker training container (argument "train", or /opt/ml/input/config present and no --data)
it reads hyperparameters.json and the train/test/model/negatives channels and writes /opt/ml/model: the training
step alone, evaluation being the pipeline's next step.`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      data: { type: 'string' },
      'test-data': { type: 'string' },
      out: { type: 'string' },
      'initial-model': { type: 'string' },
      'train-only': { type: 'boolean' },
      runtime: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(HYPERPARAMETER_NAMES.map((n) => [n, { type: 'string' as const }])),
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const runtime = values.runtime ?? 'onnx';
  if (runtime !== 'onnx' && runtime !== 'tfjs') throw new UsageError(`--runtime must be onnx or tfjs, not ${runtime}`);
  const cliHyperparameters = Object.fromEntries(
    HYPERPARAMETER_NAMES.filter((n) => (values as Record<string, unknown>)[n] !== undefined).map((n) => [n, (values as Record<string, unknown>)[n]]),
  );
  const command = `npm run train -- ${argv.join(' ')}`.trim();

  // s3:// locations are downloaded to temporary folders, removed when the job ends.
  const downloaded: string[] = [];
  const local = async (location: string) => {
    if (!location.startsWith('s3://')) return resolve(location);
    process.stderr.write(`downloading ${location} …\n`);
    const dir = await downloadS3Prefix(location);
    downloaded.push(dir);
    return dir;
  };
  // The examples of other things, from the negatives setting (a folder or an s3:// prefix; empty: none).
  const negativesFrom = async (location: string) => (location ? { negativesDir: await local(location), negativesSource: location } : {});

  const sagemaker = positionals[0] === 'train' || (!values.data && isSageMakerTraining());
  if (sagemaker) {
    const paths = sagemakerPaths();
    try {
      const channels = await resolveChannels(paths);
      const hyperparameters = parseHyperparameters({ ...(await readSageMakerHyperparameters(paths)), ...cliHyperparameters });
      await train({
        dataDir: channels.train,
        ...(channels.test ? { testDir: channels.test } : {}),
        ...(channels.model ? { initialModel: channels.model } : {}),
        ...(channels.negatives ? { negativesDir: channels.negatives } : await negativesFrom(hyperparameters.negatives)),
        outDir: paths.model,
        hyperparameters,
        archive: false,
        runtime,
        quiet: values.quiet ?? !process.stderr.isTTY,
        command: 'sagemaker training job',
      });
    } catch (err) {
      await writeFailure(paths, (err as Error).message);
      throw err;
    } finally {
      for (const dir of downloaded) await rm(dir, { recursive: true, force: true });
    }
    return;
  }

  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (!values.data || !values.out) throw new UsageError('--data and --out are required');
  const hyperparameters = parseHyperparameters(cliHyperparameters);
  try {
    const job = values['train-only'] ? train : trainAndEvaluate;
    await job({
      dataDir: await local(values.data),
      source: values.data,
      ...(values['test-data'] ? { testDir: await local(values['test-data']), testSource: values['test-data'] } : {}),
      ...(await negativesFrom(hyperparameters.negatives)),
      ...(values['initial-model'] ? { initialModel: resolve(values['initial-model']) } : {}),
      outDir: resolve(values.out),
      hyperparameters,
      runtime,
      quiet: values.quiet ?? false,
      command,
    });
  } finally {
    for (const dir of downloaded) await rm(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: Error) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`error: ${err.message}\n${usage ? `\n${USAGE}\n` : ''}`);
    if (!usage && process.env.PETAL_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exit(usage ? 2 : 1);
  },
);
