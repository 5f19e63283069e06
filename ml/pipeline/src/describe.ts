import { describeCondition } from './conditions.js';
import type { PipelineDefinition, Step } from './definition.js';
import { describeValue } from './expressions.js';
import { branchOwners, dependencyGraph, topologicalOrder } from './graph.js';

function parameterDefault(p: PipelineDefinition['parameters'][number]): string {
  if (p.derive) return '(computed at start)';
  // A long default (the feature layers) would push every description off the column.
  if (p.default !== undefined) return JSON.stringify(p.default).replace(/^(.{21}).{2,}$/, '$1…');
  if (p.fromContext) return '(filled at start)';
  return '(required)';
}

function stepDetail(step: Step): string[] {
  switch (step.kind) {
    case 'training':
      return [`npm run ${step.local.script} (training job; channels ${Object.keys(step.channels).join(', ')})`];
    case 'processing':
      return [
        `npm run ${step.local.script} (processing job; outputs ${step.outputs.map((o) => o.name).join(', ')})`,
        ...step.propertyFiles.map((f) => `property file ${f.name} = ${f.output}/${f.path}`),
      ];
    case 'condition':
      return [
        `if ${step.conditions.map(describeCondition).join(' and ')}`,
        `then ${step.ifSteps.join(', ') || '(nothing)'}; else ${step.elseSteps.join(', ') || '(nothing)'}`,
      ];
    case 'registerModel':
      return [`register in ${step.group}, approval ${describeValue(step.approval)}`];
    case 'lambda':
      return [`call ${step.local.action} (${Object.entries(step.arguments).map(([k, v]) => `${k}=${describeValue(v)}`).join(', ')})`];
    case 'fail':
      return [`fail: ${describeValue(step.message)}`];
  }
}

/** A readable summary: parameters with defaults, then the steps in running order with what each waits for. */
export function describePipeline(definition: PipelineDefinition): string {
  const width = Math.max(...definition.parameters.map((p) => p.name.length));
  const lines = [`pipeline ${definition.name}: ${definition.description}`, '', 'parameters:'];
  for (const p of definition.parameters) {
    lines.push(`  ${p.name.padEnd(width)}  ${p.type.padEnd(7)}  ${parameterDefault(p).padEnd(22)}  ${p.description}${p.enumValues ? ` (${p.enumValues.join(' | ')})` : ''}`);
  }
  lines.push('', 'steps:');
  const graph = dependencyGraph(definition);
  const owners = branchOwners(definition);
  for (const name of topologicalOrder(definition)) {
    const step = definition.steps.find((s) => s.name === name)!;
    const owner = owners.get(name);
    const after = (graph.get(name) ?? []).filter((u) => u !== owner?.condition);
    const when = owner ? ` [when ${owner.condition} is ${owner.branch === 'if' ? 'true' : 'false'}]` : '';
    lines.push(`  ${name}${when}${after.length ? ` ← ${after.join(', ')}` : ''}`);
    for (const detail of stepDetail(step)) lines.push(`      ${detail}`);
  }
  return `${lines.join('\n')}\n`;
}
