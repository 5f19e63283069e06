import { z } from 'zod';
import type { CompileSettings } from './compile/compile.js';
import type { CompileSetting } from './expressions.js';

/** Each compile setting's flag (`--<setting>`), environment variable and shape. */
export const SETTING_SOURCES: Record<CompileSetting, { env: string; schema: z.ZodType<string>; help: string }> = {
  'role-arn': {
    env: 'PETAL_SAGEMAKER_ROLE_ARN',
    schema: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'),
    help: 'the execution role of the training and processing jobs (and, unless --pipeline-role-arn, of the pipeline)',
  },
  'training-image': { env: 'PETAL_TRAINING_IMAGE', schema: z.string().min(1), help: 'the training job image URI' },
  'evaluation-image': { env: 'PETAL_EVALUATION_IMAGE', schema: z.string().min(1), help: 'the evaluation (processing) job image URI' },
  'serving-image': { env: 'PETAL_INFERENCE_IMAGE', schema: z.string().min(1), help: 'the endpoint image URI registered with each version (as @petal/registry)' },
  'deploy-function-arn': {
    env: 'PETAL_DEPLOY_FUNCTION_ARN',
    schema: z.string().regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/, 'must be a Lambda function ARN'),
    help: 'the Lambda function the Deploy step calls',
  },
  'artifact-s3-uri': {
    env: 'PETAL_PIPELINE_S3_URI',
    schema: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an s3://bucket/prefix URI'),
    help: 'where jobs write models and evaluations (and large definitions are uploaded)',
  },
};

/** Settings from flags, else the environment; each checked, errors naming the flag and variable. */
export function readSettings(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): CompileSettings {
  const settings: CompileSettings = {};
  const problems: string[] = [];
  for (const [key, source] of Object.entries(SETTING_SOURCES) as [CompileSetting, (typeof SETTING_SOURCES)[CompileSetting]][]) {
    const raw = flags[key] ?? env[source.env];
    if (raw === undefined || raw === '') continue;
    const parsed = source.schema.safeParse(raw);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push(`--${key} (${source.env}) ${parsed.error.issues[0]?.message ?? 'is invalid'}: ${JSON.stringify(raw)}`);
  }
  if (problems.length) throw new SettingsError(problems.join('\n'));
  return settings;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}
