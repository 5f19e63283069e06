import type { PipelineDefinition } from '../definition.js';
import { branchOwners, upstreamOf } from '../graph.js';
import type { ExecutionRecord, StepRecord } from './record.js';

export interface GraphNode {
  name: string;
  /** Longest path from a step with no upstream. */
  depth: number;
  /** Position among the steps of the same depth. */
  row: number;
  upstream: { name: string; branch?: 'if' | 'else' }[];
  /** The upstream step drawn as this one's parent in the terminal tree (the latest to finish). */
  parent?: string;
  /** Upstream steps not already reached through another upstream step (the edges worth drawing). */
  direct: string[];
}

/** The step graph laid out in layers (upstream first), for the terminal tree and the page's SVG. */
export function layoutGraph(definition: PipelineDefinition, order: readonly string[]): GraphNode[] {
  const owners = branchOwners(definition);
  const nodes = new Map<string, GraphNode>();
  const rows = new Map<number, number>();
  const ancestors = new Map<string, Set<string>>();
  for (const name of order) {
    const step = definition.steps.find((s) => s.name === name);
    if (!step) continue;
    const owner = owners.get(name);
    const upstream = upstreamOf(definition, step, owners).map((u) => ({ name: u, ...(owner?.condition === u ? { branch: owner.branch } : {}) }));
    const depth = Math.max(-1, ...upstream.map((u) => nodes.get(u.name)?.depth ?? -1)) + 1;
    const row = rows.get(depth) ?? 0;
    rows.set(depth, row + 1);
    const parent = [...upstream].sort((a, b) => order.indexOf(b.name) - order.indexOf(a.name))[0]?.name;
    const mine = new Set<string>();
    for (const u of upstream) for (const a of [u.name, ...(ancestors.get(u.name) ?? [])]) mine.add(a);
    ancestors.set(name, mine);
    const direct = upstream.filter((u) => !upstream.some((w) => w.name !== u.name && ancestors.get(w.name)?.has(u.name))).map((u) => u.name);
    nodes.set(name, { name, depth, row, upstream, direct, ...(parent ? { parent } : {}) });
  }
  return [...nodes.values()];
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** How long a step ran, or has been running. */
export function stepDuration(step: StepRecord, at = Date.now()): number | undefined {
  if (step.durationMs !== undefined) return step.durationMs;
  if (step.status === 'running' && step.startedAt) return at - Date.parse(step.startedAt);
  return undefined;
}

export function executionDuration(record: ExecutionRecord, at = Date.now()): number {
  const end = record.endedAt ? Date.parse(record.endedAt) : at;
  return end - Date.parse(record.startedAt);
}
