import type { PipelineDefinition, Step } from './definition.js';
import { referencesInTree } from './expressions.js';

/** A step inside a condition branch runs only when its condition takes that branch. */
export interface BranchOwner {
  condition: string;
  branch: 'if' | 'else';
}

/** Which condition branch holds each step (steps outside any branch are absent). */
export function branchOwners(definition: PipelineDefinition): Map<string, BranchOwner> {
  const owners = new Map<string, BranchOwner>();
  for (const step of definition.steps) {
    if (step.kind !== 'condition') continue;
    for (const name of step.ifSteps) owners.set(name, { condition: step.name, branch: 'if' });
    for (const name of step.elseSteps) owners.set(name, { condition: step.name, branch: 'else' });
  }
  return owners;
}

/** The steps whose outputs a step reads (property, JSON and condition references). */
export function referencedSteps(step: Step): string[] {
  // Walks every field: arguments, conditions, local command arguments alike.
  const names = referencesInTree(Object.values(step)).flatMap((r) => (r.kind === 'property' || r.kind === 'jsonGet' ? [r.step] : []));
  return [...new Set(names)];
}

/**
 * What a step waits for: explicit `dependsOn`, the steps whose outputs it reads, and the condition
 * whose branch holds it. The local executor runs a step when all of these are done (and, for the
 * branch, taken); the compiler writes only `dependsOn` since SageMaker infers the rest as the SDK does.
 */
export function upstreamOf(definition: PipelineDefinition, step: Step, owners = branchOwners(definition)): string[] {
  const owner = owners.get(step.name);
  return [...new Set([...(step.dependsOn ?? []), ...referencedSteps(step), ...(owner ? [owner.condition] : [])])];
}

/** Every step's upstream steps. */
export function dependencyGraph(definition: PipelineDefinition): Map<string, string[]> {
  const owners = branchOwners(definition);
  return new Map(definition.steps.map((s) => [s.name, upstreamOf(definition, s, owners)]));
}

/** A cycle in a name → upstream names graph, as the path that closes it (`A → B → A`), or undefined. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Step names upstream first (ties in declaration order); the definition must be acyclic. */
export function topologicalOrder(definition: PipelineDefinition): string[] {
  const graph = dependencyGraph(definition);
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < definition.steps.length) {
    const next = definition.steps.find((s) => !placed.has(s.name) && (graph.get(s.name) ?? []).every((u) => placed.has(u)));
    if (!next) throw new Error(`pipeline ${definition.name} has a dependency cycle`);
    order.push(next.name);
    placed.add(next.name);
  }
  return order;
}
