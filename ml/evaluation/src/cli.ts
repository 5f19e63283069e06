#!/usr/bin/env node
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { evaluateModel } from './evaluate.js';
import { isSageMakerProcessing, processingPaths, resolveProcessingInputs, writeExitMessage } from './processing.js';
import { downloadS3Prefix } from './s3-source.js';

const USAGE = `usage: npm run evaluate -- --model <dir | model.tar.gz> --data <dir | s3://bucket/prefix> --out <dir> [options]

  --model <path>          the model to evaluate: a model directory or its model.tar.gz
  --data <dir|s3://…>     labelled images, one sub-folder per class
  --out <dir>             where evaluation.json and report.html are written
  --split <file>          a test-split.json naming the images to score (default: the model's own
                          test-split.json when it has one, else every image under --data)
  --all                   score every image under --data, even when the model carries a split
  --ood <dir|generated>   a set of images that are none of the model's classes (repeatable): a folder
                          (searched recursively), or "generated" for the built-in set made at run time
                          (noise, flat colours, gradients, renders, licensed npm package images); default
                          "generated". Each set's share answered unknown or unsure, and all sets' together
                          (out_of_scope.all_sets.detection_rate), go into evaluation.json and the report
  --confidence-threshold <p>  the top probability under which the service answers unsure (default 0.6,
                          the WAS's default)
  --quiet                 no progress bar

Inside a SageMaker Processing container (argument "processing", or /opt/ml/config/processingjobconfig.json
present and no --model) it reads the inputs /opt/ml/processing/input/{model,data[,split]} and writes
/opt/ml/processing/output/evaluation; on failure the reason goes to /opt/ml/output/message.`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      split: { type: 'string' },
      all: { type: 'boolean' },
      ood: { type: 'string', multiple: true },
      'confidence-threshold': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.all && values.split) throw new UsageError('--all and --split contradict each other: pass one');
  const selection = values.all ? ('all' as const) : values.split ? resolve(values.split) : undefined;
  // Without --ood the job's default set (the generated one) is scored, so the gate's number is always there.
  const outOfScope = values.ood?.map((v) => (v === 'generated' ? v : resolve(v)));
  const confidence = values['confidence-threshold'] === undefined ? undefined : Number(values['confidence-threshold']);
  if (confidence !== undefined && !(confidence >= 0 && confidence <= 1)) throw new UsageError('--confidence-threshold must be a number from 0 to 1');
  const judging = { ...(outOfScope ? { outOfScope } : {}), ...(confidence !== undefined ? { confidenceThreshold: confidence } : {}) };

  if (positionals[0] === 'processing' || (!values.model && isSageMakerProcessing())) {
    const paths = processingPaths();
    try {
      const inputs = await resolveProcessingInputs(paths);
      await evaluateModel({
        model: inputs.model,
        dataDir: inputs.data,
        split: selection ?? inputs.split,
        outDir: inputs.outDir,
        quiet: values.quiet ?? !process.stderr.isTTY,
        ...judging,
      });
    } catch (err) {
      await writeExitMessage(paths, (err as Error).message);
      throw err;
    }
    return;
  }

  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (!values.model || !values.data || !values.out) throw new UsageError('--model, --data and --out are required');
  let downloaded: string | undefined;
  try {
    if (values.data.startsWith('s3://')) process.stderr.write(`downloading ${values.data} …\n`);
    const dataDir = values.data.startsWith('s3://') ? (downloaded = await downloadS3Prefix(values.data)) : resolve(values.data);
    await evaluateModel({
      model: resolve(values.model),
      dataDir,
      source: values.data,
      ...(selection ? { split: selection } : {}),
      outDir: resolve(values.out),
      quiet: values.quiet ?? false,
      ...judging,
    });
  } finally {
    if (downloaded) await rm(downloaded, { recursive: true, force: true });
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
