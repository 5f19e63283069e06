import type { ApprovalResult, DeploymentRecord, ModelPackage } from './types.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '–');
const when = (iso: string) => iso.replace('T', ' ').slice(0, 16);

/** Columns padded to their widest cell; the header underlined. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatList(group: string, packages: ModelPackage[], deployed: DeploymentRecord | undefined): string {
  if (packages.length === 0) return `${group}: no versions registered yet`;
  const title = `${group}: ${packages.length} version${packages.length === 1 ? '' : 's'}, ${deployed ? `version ${deployed.version} deployed` : 'none deployed'}`;
  const rows = packages.map((p) => [
    String(p.version),
    p.approval,
    deployed?.version === p.version ? '*' : '',
    pct(p.metrics.accuracy),
    pct(p.metrics.macroF1),
    String(p.metrics.testSize),
    `${p.modelName} ${p.modelVersion}`,
    p.gitCommit.slice(0, 10),
    when(p.createdAt),
  ]);
  return `${title}\n\n${table(['version', 'approval', 'deployed', 'accuracy', 'macro F1', 'test', 'model', 'commit', 'created'], rows)}`;
}

export function formatPackage(pkg: ModelPackage, deployed: DeploymentRecord | undefined): string {
  const isDeployed = deployed?.version === pkg.version;
  const fields: [string, string][] = [
    ['version', `${pkg.group} ${pkg.version}${isDeployed ? ` (deployed ${when(deployed.deployedAt)} by ${deployed.by})` : ''}`],
    ['approval', pkg.approval],
    ['arn', pkg.arn],
    ['model', `${pkg.modelName} ${pkg.modelVersion}`],
    ['artifact', pkg.artifactUri],
    ['evaluation', pkg.evaluationUri],
    ['accuracy', `${pct(pkg.metrics.accuracy)} (macro F1 ${pct(pkg.metrics.macroF1)}, ${pkg.metrics.testSize} test images)`],
    ['data', pkg.dataFingerprint],
    ['commit', pkg.gitCommit],
    ['created', pkg.createdAt],
    ...(pkg.description ? ([['description', pkg.description]] as [string, string][]) : []),
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const history = pkg.history.map((h) => `  ${when(h.at)}  ${h.status.padEnd(21)}  ${h.by}${h.reason ? `: ${h.reason}` : ''}`);
  return [...fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`), '', 'history', ...history].join('\n');
}

export function formatApproval(result: ApprovalResult): string {
  return [result.message, ...result.warnings.map((w) => `warning: ${w}`)].join('\n');
}
