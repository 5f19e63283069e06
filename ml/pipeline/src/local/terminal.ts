import type { PipelineDefinition } from '../definition.js';
import type { ExecutionView } from './executor.js';
import { executionDuration, formatDuration, layoutGraph, stepDuration } from './layout.js';
import type { ExecutionRecord, StepRecord } from './record.js';

const MARKS: Record<StepRecord['status'], string> = {
  queued: '·',
  running: '▶',
  succeeded: '✓',
  cached: '↺',
  failed: '✗',
  skipped: '–',
  stopped: '■',
};

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text);

/** One line per step: mark, name, status, time, message (the last progress line while it runs). */
export function stepTable(record: ExecutionRecord, at = Date.now(), width = 120): string[] {
  const nameWidth = Math.max(...record.order.map((n) => n.length));
  return record.order.map((name) => {
    const s = record.steps[name]!;
    const head = `  ${MARKS[s.status]} ${name.padEnd(nameWidth)}  ${s.status.padEnd(9)}  ${formatDuration(stepDuration(s, at)).padStart(9)}`;
    return s.message && s.status !== 'queued' ? `${head}  ${clip(s.message, Math.max(10, width - head.length - 2))}` : head;
  });
}

export function outcomeLine(record: ExecutionRecord): string {
  const extra = [
    record.metrics ? `accuracy ${record.metrics.accuracy.toFixed(4)}` : undefined,
    record.registered ? `registered ${record.registered.group} v${record.registered.version} (${record.registered.approval})` : undefined,
    record.deployed ? `deployed to ${record.deployed.endpoint}` : undefined,
  ].filter(Boolean);
  return `execution ${record.id} ${record.status} in ${formatDuration(executionDuration(record))}${record.message ? `: ${record.message}` : ''}${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
}

/**
 * The live step table: on a terminal it is redrawn in place (and ticks while a step runs); otherwise one
 * plain line per step state change, so CI logs and pipes stay readable.
 */
export function terminalView(out: { write: (text: string) => void; isTTY: boolean; columns?: number }): ExecutionView & { stop(): void } {
  let last: ExecutionRecord | undefined;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const printed = new Map<string, string>();
  const draw = () => {
    if (!last) return;
    const lines = [`${last.pipeline} · execution ${last.id} · ${last.status} · ${formatDuration(executionDuration(last))}`, ...stepTable(last, Date.now(), out.columns ?? 120)];
    out.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    started(record, recordUri) {
      out.write(`execution ${record.id} ${record.attempt > 1 ? `resumed (attempt ${record.attempt})` : 'started'}: ${recordUri}\n`);
    },
    update(record) {
      last = record;
      if (out.isTTY) {
        draw();
        if (!timer && record.status === 'running') timer = setInterval(draw, 250).unref();
        return;
      }
      for (const name of record.order) {
        const s = record.steps[name]!;
        const state = `${s.status}:${s.command ? 1 : 0}`;
        if (printed.get(name) === state || s.status === 'queued') continue;
        printed.set(name, state);
        const time = s.status === 'running' || s.durationMs === undefined ? '' : ` ${formatDuration(s.durationMs)}`;
        const detail = s.status === 'running' ? (s.command ? `: ${s.command}` : '') : s.message ? `: ${s.message}` : '';
        out.write(`${new Date().toISOString().slice(11, 19)} ${name} ${s.status}${time}${detail}\n`);
      }
    },
    line(step, text) {
      if (!last) return;
      const s = last.steps[step];
      if (s) s.message = text;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (out.isTTY) draw();
    },
  };
}

/** `pipeline show`: the step graph as a tree (branches labelled), each step with status, time and message. */
export function drawExecution(record: ExecutionRecord, definition: PipelineDefinition): string {
  const nodes = layoutGraph(definition, record.order);
  const children = new Map<string, string[]>();
  for (const node of nodes) if (node.parent) children.set(node.parent, [...(children.get(node.parent) ?? []), node.name]);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const label = (name: string) => {
    const s = record.steps[name]!;
    const node = byName.get(name)!;
    const branch = node.upstream.find((u) => u.name === node.parent)?.branch;
    const chain = new Set<string>();
    for (let p = node.parent; p; p = byName.get(p)?.parent) chain.add(p);
    const also = node.upstream.filter((u) => !chain.has(u.name)).map((u) => u.name);
    const time = formatDuration(stepDuration(s));
    return [
      `${branch ? `[${branch}] ` : ''}${MARKS[s.status]} ${name}`,
      s.status + (time ? ` ${time}` : ''),
      ...(s.cachedFrom ? [`from ${s.cachedFrom.execution}`] : []),
      ...(also.length ? [`after ${also.join(', ')}`] : []),
      ...(s.message && s.status !== 'queued' ? [s.message] : []),
    ].join('  ');
  };
  const lines: string[] = [];
  const walk = (name: string, prefix: string, last: boolean, root: boolean) => {
    lines.push(root ? label(name) : `${prefix}${last ? '└─ ' : '├─ '}${label(name)}`);
    const kids = children.get(name) ?? [];
    kids.forEach((kid, i) => walk(kid, root ? prefix : `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1, false));
  };
  for (const root of nodes.filter((n) => !n.parent)) walk(root.name, '', true, true);
  const header = [
    outcomeLine(record),
    `started ${record.startedAt}${record.endedAt ? `, ended ${record.endedAt}` : ''}${record.attempt > 1 ? `, attempt ${record.attempt}` : ''}`,
  ];
  const footer = [
    ...(record.report ? [`report: ${record.report}`] : []),
    ...(record.page ? [`page:   ${record.page}`] : []),
  ];
  return `${[...header, '', ...lines, '', ...footer].join('\n')}\n`;
}

/** `pipeline list`: newest first. */
export function executionsTable(records: readonly ExecutionRecord[]): string {
  if (!records.length) return 'no executions recorded\n';
  const rows = records.map((r) => [
    r.id,
    r.status,
    formatDuration(executionDuration(r)),
    r.metrics ? r.metrics.accuracy.toFixed(4) : '',
    r.registered ? `v${r.registered.version} ${r.registered.approval}` : '',
    r.message ?? '',
  ]);
  const head = ['execution', 'status', 'time', 'accuracy', 'registered', 'message'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}
