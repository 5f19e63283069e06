import { findCycle } from '../graph.js';
import { EXECUTION_VARIABLES } from '../expressions.js';
import type { Json } from './render.js';

type JsonObject = { [key: string]: Json };
const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

interface StepInfo {
  name: string;
  json: JsonObject;
  /** The condition step this one is nested in. */
  parent?: string;
  propertyFiles: string[];
}

function collectSteps(steps: Json | undefined, parent: string | undefined, into: StepInfo[]): void {
  if (!Array.isArray(steps)) return;
  for (const step of steps) {
    if (!isObject(step) || typeof step.Name !== 'string') continue;
    const files = Array.isArray(step.PropertyFiles) ? step.PropertyFiles.flatMap((f) => (isObject(f) && typeof f.PropertyFileName === 'string' ? [f.PropertyFileName] : [])) : [];
    into.push({ name: step.Name, json: step, ...(parent ? { parent } : {}), propertyFiles: files });
    if (step.Type === 'Condition' && isObject(step.Arguments)) {
      collectSteps(step.Arguments.IfSteps, step.Name, into);
      collectSteps(step.Arguments.ElseSteps, step.Name, into);
    }
  }
}

/** Every `Get` path and JsonGet property-file path in a tree, skipping nested step definitions. */
function referencesIn(tree: Json, into: string[] = [], top = true): string[] {
  if (Array.isArray(tree)) for (const item of tree) referencesIn(item, into, false);
  else if (isObject(tree)) {
    if (!top && typeof tree.Name === 'string' && typeof tree.Type === 'string') return into; // a nested step: checked on its own
    if (typeof tree.Get === 'string') into.push(tree.Get);
    for (const value of Object.values(tree)) referencesIn(value, into, false);
  }
  return into;
}

/**
 * Structural checks on a compiled SageMaker Pipelines definition, independent of the code that wrote
 * it: the version, unique step names, every `Get` naming a declared parameter, step, property file or
 * execution variable, every `DependsOn` a declared step, and no cycle through DependsOn, references
 * and condition nesting. Returns the problems; empty when it is sound.
 */
export function checkCompiledDefinition(document: Json): string[] {
  const problems: string[] = [];
  if (!isObject(document)) return ['the definition is not a JSON object'];
  if (document.Version !== '2020-12-01') problems.push(`Version is ${JSON.stringify(document.Version)}, not "2020-12-01"`);
  const parameters = new Set(
    Array.isArray(document.Parameters) ? document.Parameters.flatMap((p) => (isObject(p) && typeof p.Name === 'string' ? [p.Name] : [])) : [],
  );
  const steps: StepInfo[] = [];
  collectSteps(document.Steps, undefined, steps);
  const byName = new Map<string, StepInfo>();
  for (const step of steps) {
    if (byName.has(step.name)) problems.push(`step ${step.name} appears twice`);
    byName.set(step.name, step);
  }

  const graph = new Map<string, string[]>();
  for (const step of steps) {
    const upstream = new Set<string>(step.parent ? [step.parent] : []);
    const dependsOn = Array.isArray(step.json.DependsOn) ? step.json.DependsOn : [];
    for (const name of dependsOn) {
      if (typeof name !== 'string' || !byName.has(name)) problems.push(`step ${step.name}: DependsOn ${JSON.stringify(name)} is not a step`);
      else upstream.add(name);
    }
    for (const path of referencesIn(step.json)) {
      const [root, first, ...rest] = path.split('.');
      if (root === 'Parameters') {
        if (!first || !parameters.has(first)) problems.push(`step ${step.name}: Get ${path} names no declared parameter`);
      } else if (root === 'Execution') {
        if (!(EXECUTION_VARIABLES as readonly string[]).includes(first ?? '')) problems.push(`step ${step.name}: Get ${path} names no execution variable`);
      } else if (root === 'Steps') {
        const target = first ? byName.get(first) : undefined;
        if (!target) {
          problems.push(`step ${step.name}: Get ${path} names no declared step`);
          continue;
        }
        if (rest[0] === 'PropertyFiles' && !target.propertyFiles.includes(rest[1] ?? '')) {
          problems.push(`step ${step.name}: Get ${path} names no property file of ${target.name}`);
        }
        upstream.add(target.name);
      } else {
        problems.push(`step ${step.name}: Get ${path} is neither Parameters, Steps nor Execution`);
      }
    }
    graph.set(step.name, [...upstream]);
  }
  const cycle = findCycle(graph);
  if (cycle) problems.push(`steps form a cycle: ${cycle.join(' → ')}`);
  return problems;
}
