import type { PipelineDefinition, Step } from './definition.js';
import { lookupProperty, stepOutputs } from './definition.js';
import { describeValue, referencesInTree } from './expressions.js';
import { dependencyGraph, findCycle } from './graph.js';
import { parseParameterValue } from './parameters.js';
import { isLocalOutputArg } from './steps/step.js';

// SageMaker's patterns for step and parameter names (and what keeps `Get` paths unambiguous).
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/** Every problem in a definition, each naming the step or parameter; empty when it is sound. */
export function validatePipeline(definition: PipelineDefinition): string[] {
  const problems: string[] = [];
  const parameters = new Map(definition.parameters.map((p) => [p.name, p]));
  const steps = new Map(definition.steps.map((s) => [s.name, s]));

  for (const name of duplicates(definition.parameters.map((p) => p.name))) problems.push(`parameter ${name} is declared twice`);
  for (const name of duplicates(definition.steps.map((s) => s.name))) problems.push(`step ${name} is declared twice`);
  for (const p of definition.parameters) {
    if (!NAME.test(p.name)) problems.push(`parameter name ${JSON.stringify(p.name)} must be 1–64 letters, digits, - or _`);
    if (p.enumValues && p.type !== 'String') problems.push(`parameter ${p.name}: allowed values are for String parameters only`);
    if (p.default !== undefined) {
      try {
        parseParameterValue(p, p.default);
      } catch (err) {
        problems.push(`default of ${(err as Error).message}`);
      }
    }
  }
  for (const s of definition.steps) {
    if (!NAME.test(s.name)) problems.push(`step name ${JSON.stringify(s.name)} must be 1–64 letters, digits, - or _`);
  }

  for (const step of definition.steps) problems.push(...stepProblems(step, parameters, steps));

  // Branch membership: each branch step exists, sits in one branch only, and is not its own condition.
  const seenInBranch = new Map<string, string>();
  for (const step of definition.steps) {
    if (step.kind !== 'condition') continue;
    const branches = [...step.ifSteps.map((n) => [n, 'if'] as const), ...step.elseSteps.map((n) => [n, 'else'] as const)];
    for (const [name, branch] of branches) {
      if (!steps.has(name)) problems.push(`step ${step.name}: branch step ${name} is not declared`);
      if (name === step.name) problems.push(`step ${step.name}: a condition step cannot be in its own branch`);
      const other = seenInBranch.get(name);
      if (other) problems.push(`step ${name} is in more than one condition branch (${other} and ${step.name} ${branch})`);
      seenInBranch.set(name, `${step.name} ${branch}`);
    }
  }

  // Cycles only make sense to look for once every name resolves.
  if (!problems.length) {
    const cycle = findCycle(dependencyGraph(definition));
    if (cycle) problems.push(`steps form a cycle: ${cycle.join(' → ')}`);
  }
  return problems;
}

function stepProblems(step: Step, parameters: ReadonlyMap<string, unknown>, steps: ReadonlyMap<string, Step>): string[] {
  const problems: string[] = [];
  const where = `step ${step.name}`;
  for (const name of step.dependsOn ?? []) {
    if (!steps.has(name)) problems.push(`${where}: depends on ${name}, which is not a declared step`);
    if (name === step.name) problems.push(`${where}: depends on itself`);
  }
  for (const ref of referencesInTree(Object.values(step))) {
    if (ref.kind === 'parameter' && !parameters.has(ref.name)) {
      problems.push(`${where}: ${describeValue(ref)} names no declared parameter`);
    }
    if (ref.kind === 'property' || ref.kind === 'jsonGet') {
      const target = steps.get(ref.step);
      if (!target) {
        problems.push(`${where}: ${describeValue(ref)} names no declared step`);
        continue;
      }
      if (target === step) {
        problems.push(`${where}: ${describeValue(ref)} reads the step's own output`);
        continue;
      }
      if (ref.kind === 'property') {
        const lookup = lookupProperty(target, ref.path);
        if (!lookup.ok) problems.push(`${where}: ${lookup.problem}`);
      } else if (target.kind !== 'processing') {
        // As SageMaker: JsonGet with a property file reads processing step outputs only.
        problems.push(`${where}: ${describeValue(ref)} reads a property file of ${target.name}, which is not a processing step`);
      } else {
        const file = target.propertyFiles.find((f) => f.name === ref.propertyFile);
        if (!file) problems.push(`${where}: ${describeValue(ref)} names no property file of ${target.name} (declared: ${target.propertyFiles.map((f) => f.name).join(', ') || 'none'})`);
      }
    }
  }
  if (step.kind === 'processing') {
    const outputs = step.outputs.map((o) => o.name);
    for (const name of duplicates(outputs)) problems.push(`${where}: output ${name} is declared twice`);
    for (const name of duplicates(step.inputs.map((i) => i.name))) problems.push(`${where}: input ${name} is declared twice`);
    for (const file of step.propertyFiles) {
      if (!outputs.includes(file.output)) problems.push(`${where}: property file ${file.name} is in output ${file.output}, which the step does not declare`);
    }
    for (const name of duplicates(step.propertyFiles.map((f) => f.name))) problems.push(`${where}: property file ${name} is declared twice`);
  }
  if (step.kind === 'training' || step.kind === 'processing') {
    for (const arg of step.local.args) {
      if (isLocalOutputArg(arg) && !stepOutputs(step).includes(arg.output)) {
        problems.push(`${where}: local command writes to output ${arg.output}, which the step does not declare (outputs: ${stepOutputs(step).join(', ')})`);
      }
    }
  }
  if (step.kind === 'condition' && step.conditions.length === 0) problems.push(`${where}: a condition step needs at least one condition`);
  return problems;
}
