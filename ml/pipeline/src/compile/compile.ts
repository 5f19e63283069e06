import type { PipelineDefinition, Step } from '../definition.js';
import { COMPILE_SETTINGS, type CompileSetting } from '../expressions.js';
import { branchOwners } from '../graph.js';
import { compileCondition } from '../steps/condition-step.js';
import { compileFailArguments } from '../steps/fail-step.js';
import { compileLambdaFields } from '../steps/lambda-step.js';
import { compileProcessingArguments, compilePropertyFiles } from '../steps/processing-step.js';
import { compileRegisterModelArguments } from '../steps/register-model-step.js';
import { compileTrainingArguments } from '../steps/training-step.js';
import type { Json, RenderContext } from './render.js';

/** The definition format's schema version (what the SDK's `Pipeline.definition()` writes). */
export const DEFINITION_VERSION = '2020-12-01';

export type CompileSettings = Partial<Record<CompileSetting, string>>;

export interface CompiledPipeline {
  /** The SageMaker Pipelines definition document. */
  definition: { [key: string]: Json };
  /** Settings the definition needed but was not given; each is a `<setting>` placeholder in it. */
  missingSettings: CompileSetting[];
}

const STEP_TYPES: Record<Step['kind'], string> = {
  training: 'Training',
  processing: 'Processing',
  condition: 'Condition',
  registerModel: 'RegisterModel',
  lambda: 'Lambda',
  fail: 'Fail',
};

export const placeholder = (key: CompileSetting) => `<${key}>`;

/**
 * The SageMaker Pipelines definition of a pipeline: parameters, then the steps outside any condition
 * branch in declaration order, branch steps written inside their condition step (as the SDK does).
 * Missing settings become placeholders so the document can be read and tested without an AWS
 * account; `pipeline upsert` refuses a definition that still has them.
 */
export function compilePipeline(definition: PipelineDefinition, settings: CompileSettings = {}): CompiledPipeline {
  const missing = new Set<CompileSetting>();
  const types = new Map(definition.parameters.map((p) => [p.name, p.type]));
  const context: RenderContext = {
    setting(key) {
      const value = settings[key];
      if (value) return value;
      missing.add(key);
      return placeholder(key);
    },
    parameterType: (name) => types.get(name),
  };
  const steps = new Map(definition.steps.map((s) => [s.name, s]));
  const owners = branchOwners(definition);

  const compileStep = (step: Step): Json => {
    const common: { [key: string]: Json } = {
      Name: step.name,
      Type: STEP_TYPES[step.kind],
      ...(step.description ? { Description: step.description } : {}),
      ...(step.dependsOn?.length ? { DependsOn: step.dependsOn } : {}),
    };
    const branch = (names: string[]) => names.map((n) => compileStep(steps.get(n)!));
    switch (step.kind) {
      case 'training':
        return { ...common, Arguments: compileTrainingArguments(step, context), ...cacheConfig(step.cache) };
      case 'processing':
        return {
          ...common,
          Arguments: compileProcessingArguments(step, context),
          ...cacheConfig(step.cache),
          ...(step.propertyFiles.length ? { PropertyFiles: compilePropertyFiles(step) } : {}),
        };
      case 'condition':
        return {
          ...common,
          Arguments: {
            Conditions: step.conditions.map((c) => compileCondition(c, context)),
            IfSteps: branch(step.ifSteps),
            ElseSteps: branch(step.elseSteps),
          },
        };
      case 'registerModel':
        return { ...common, Arguments: compileRegisterModelArguments(step, context) };
      case 'lambda':
        return { ...common, ...compileLambdaFields(step, context) };
      case 'fail':
        return { ...common, Arguments: compileFailArguments(step, context) };
    }
  };

  const document = {
    Version: DEFINITION_VERSION,
    Metadata: {},
    Parameters: definition.parameters.map((p) => ({
      Name: p.name,
      Type: p.type,
      // Values filled or computed at start have no default: SageMaker then insists on one at start.
      ...(p.default !== undefined && !p.derive ? { DefaultValue: p.default } : {}),
      ...(p.enumValues ? { EnumValues: [...p.enumValues] } : {}),
    })),
    Steps: definition.steps.filter((s) => !owners.has(s.name)).map(compileStep),
  };
  return { definition: document, missingSettings: COMPILE_SETTINGS.filter((k) => missing.has(k)) };
}

function cacheConfig(cache: { expireAfter: string } | undefined): { [key: string]: Json } {
  return cache ? { CacheConfig: { Enabled: true, ExpireAfter: cache.expireAfter } } : {};
}

/** The document as the API receives it (compact; its UTF-8 size is what the 1 MiB limit counts). */
export const definitionJson = (compiled: CompiledPipeline) => JSON.stringify(compiled.definition);
