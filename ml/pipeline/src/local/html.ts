import { posix } from 'node:path';
import type { ArtifactStore } from '@petal/store';
import type { PipelineDefinition } from '../definition.js';
import { executionDuration, formatDuration, layoutGraph, stepDuration } from './layout.js';
import { executionPrefix, type ExecutionRecord, type StepRecord } from './record.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLOURS: Record<StepRecord['status'] | ExecutionRecord['status'], string> = {
  queued: '#d0d4da',
  running: '#7fb2f0',
  succeeded: '#7fcf8f',
  cached: '#a8dcb4',
  failed: '#f08a7f',
  stopped: '#f2c46d',
  skipped: '#eceef1',
  rejected: '#f08a7f',
  interrupted: '#f2c46d',
};

const BOX_W = 214;
const BOX_H = 56;
const GAP_X = 56;
const GAP_Y = 22;

/**
 * The execution's page (`executions/<id>/index.html`): the step graph as inline SVG coloured by status,
 * each step's status, timing and message, the metrics, and links (relative, so they work from the store
 * on disk or a static S3 website) to the evaluation report, logs and outputs.
 */
export function executionPage(record: ExecutionRecord, definition: PipelineDefinition, store: ArtifactStore): string {
  const here = executionPrefix(record.id);
  const link = (key: string) => escape(posix.relative(here, key));
  const uriLink = (uri: string) => (uri.startsWith(`${store.root}/`) ? link(uri.slice(store.root.length + 1)) : escape(uri));
  const nodes = layoutGraph(definition, record.order);
  const at = (name: string) => nodes.find((n) => n.name === name)!;
  const x = (depth: number) => 10 + depth * (BOX_W + GAP_X);
  const y = (row: number) => 10 + row * (BOX_H + GAP_Y);
  const width = x(Math.max(...nodes.map((n) => n.depth)) + 1);
  const height = y(Math.max(...nodes.map((n) => n.row)) + 1);

  const edges = nodes.flatMap((node) =>
    node.upstream.filter((u) => node.direct.includes(u.name)).map((u) => {
      const from = at(u.name);
      const x1 = x(from.depth) + BOX_W;
      const y1 = y(from.row) + BOX_H / 2;
      const x2 = x(node.depth);
      const y2 = y(node.row) + BOX_H / 2;
      const label = u.branch ? `<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 4}" class="edge-label">${u.branch}</text>` : '';
      return `<path d="M${x1},${y1} C${x1 + GAP_X / 2},${y1} ${x2 - GAP_X / 2},${y2} ${x2},${y2}" class="edge${u.branch ? ' branch' : ''}" marker-end="url(#arrow)"/>${label}`;
    }),
  );
  const boxes = nodes.map((node) => {
    const step = record.steps[node.name]!;
    const duration = formatDuration(stepDuration(step, Date.parse(record.endedAt ?? new Date().toISOString())));
    return `<g><title>${escape(`${node.name}: ${step.status}${step.message ? ` — ${step.message}` : ''}`)}</title>
<rect x="${x(node.depth)}" y="${y(node.row)}" width="${BOX_W}" height="${BOX_H}" rx="8" fill="${COLOURS[step.status]}"/>
<text x="${x(node.depth) + 10}" y="${y(node.row) + 22}" class="name">${escape(node.name)}</text>
<text x="${x(node.depth) + 10}" y="${y(node.row) + 42}" class="status">${step.status}${duration ? ` · ${duration}` : ''}</text></g>`;
  });

  const rows = record.order.map((name) => {
    const step = record.steps[name]!;
    const links = [
      ...Object.entries(step.outputs ?? {}).map(([o, out]) => `<a href="${link(out.key)}/">${escape(o)}</a>`),
      ...(step.log ? [`<a href="${link(step.log.key)}">log</a>`] : []),
      ...(step.cachedFrom ? [`<a href="${escape(posix.relative(here, `${executionPrefix(step.cachedFrom.execution)}/index.html`))}">from ${escape(step.cachedFrom.execution)}</a>`] : []),
    ];
    return `<tr><td>${escape(name)}</td><td>${escape(step.kind)}</td><td><span class="pill" style="background:${COLOURS[step.status]}">${step.status}</span></td>
<td>${escape(formatDuration(stepDuration(step)))}</td><td>${escape(step.message ?? '')}</td><td>${links.join(' · ')}</td></tr>`;
  });

  const m = record.metrics;
  const metricRows: Array<[string, string | undefined]> = m
    ? [
        ['test accuracy', m.accuracy.toFixed(4)],
        ['macro F1', m.macroF1?.toFixed(4)],
        ['test images', m.testSize?.toString()],
        ['in-scope flower rate', m.inScopeFlowerRate?.toFixed(4)],
        ['out-of-scope detection rate', m.outOfScopeDetectionRate?.toFixed(4)],
      ]
    : [];
  const metrics = m
    ? `<table class="metrics">${metricRows
        .filter((row): row is [string, string] => row[1] !== undefined)
        .map(([name, value]) => `<tr><th>${name}</th><td>${value}</td></tr>`)
        .join('')}</table>`
    : '<p>No evaluation yet.</p>';
  const params = Object.entries(record.parameters)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`)
    .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(record.pipeline)} ${escape(record.id)}: ${record.status}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d232b;max-width:1200px}
h1{font-size:20px;margin:0 0 4px} .outcome{font-size:16px;margin:8px 0 18px}
.pill{display:inline-block;padding:1px 8px;border-radius:10px}
table{border-collapse:collapse;margin:8px 0 18px} td,th{padding:4px 10px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
svg .name{font-weight:600;font-size:13px} svg .status{font-size:12px} svg .edge{fill:none;stroke:#6b7480;stroke-width:1.5}
svg .branch{stroke-dasharray:5 3} svg .edge-label{font-size:11px;fill:#6b7480}
</style></head><body>
<h1>${escape(record.pipeline)} · execution ${escape(record.id)}</h1>
<div class="outcome"><span class="pill" style="background:${COLOURS[record.status]}">${record.status}</span>
${escape(formatDuration(executionDuration(record)))}${record.attempt > 1 ? ` · attempt ${record.attempt}` : ''}${record.message ? ` — ${escape(record.message)}` : ''}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" style="max-width:100%;height:auto" viewBox="0 0 ${width} ${height}" role="img" aria-label="step graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#6b7480"/></marker></defs>
${edges.join('\n')}
${boxes.join('\n')}
</svg>
<h2>Metrics</h2>${metrics}
${record.report ? `<p><a href="${uriLink(record.report)}">evaluation report (report.html)</a></p>` : ''}
${record.registered ? `<p>Registered: ${escape(record.registered.group)} version ${record.registered.version} (${escape(record.registered.approval)})</p>` : ''}
${record.deployed ? `<p>Deployed to ${escape(record.deployed.endpoint)}: ${escape(record.deployed.message)}</p>` : ''}
<h2>Steps</h2>
<table><tr><th>step</th><th>kind</th><th>status</th><th>time</th><th>message</th><th>links</th></tr>
${rows.join('\n')}</table>
<h2>Parameters</h2><table>${params}</table>
<p>Started ${escape(record.startedAt)}${record.endedAt ? `, ended ${escape(record.endedAt)}` : ''}; runner pid ${record.runner.pid} on ${escape(record.runner.host)}.</p>
</body></html>
`;
}
