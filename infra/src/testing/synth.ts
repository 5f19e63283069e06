/**
 * Synthesizes the app once for a test file (bundling the deploy Lambda only when asked: the other
 * synths get CDK's placeholder asset) and hands out each stack's template, the cdk-nag report and the
 * construct tree. Everything happens offline in a temporary cloud-assembly folder.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type PetalApp } from '../app.js';

export type StackKey = 'network' | 'ml' | 'app' | 'delivery';

export interface Synthesized extends PetalApp {
  outdir: string;
  templates: Record<StackKey, Template>;
  json: Record<StackKey, Record<string, unknown>>;
  /** The AwsSolutions plugin's entry in the validation report (empty when it found nothing). */
  nag: { violations: Violation[]; suppressedViolations: Violation[] };
  /** Where the bundled deploy Lambda was staged (undefined when bundling was skipped). */
  lambdaAssetDir: string | undefined;
  /** Every acknowledgement in the app: construct path, finding id, reason. */
  acknowledgements: { path: string; id: string; reason: string }[];
  dispose(): void;
}

export interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

export function synth(context: Record<string, unknown> = {}, options: { bundle?: boolean; before?: (app: PetalApp) => void } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'petal-infra-'));
  const built = buildApp({
    outdir,
    analyticsReporting: false,
    context: { ...context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  options.before?.(built);
  const assembly = built.app.synth();
  const stacks: Record<StackKey, { stackName: string }> = { network: built.network, ml: built.ml, app: built.appStack, delivery: built.delivery };
  const json = {} as Record<StackKey, Record<string, unknown>>;
  const templates = {} as Record<StackKey, Template>;
  for (const [key, stack] of Object.entries(stacks) as [StackKey, { stackName: string }][]) {
    json[key] = assembly.getStackByName(stack.stackName).template as Record<string, unknown>;
    templates[key] = Template.fromJSON(json[key]);
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: Violation[]; suppressedViolations?: Violation[] }[];
  };
  // cdk-nag's entry appears only when it has findings; synthesis itself throws on unacknowledged ones.
  const plugin = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions') ?? { violations: [], suppressedViolations: [] };
  const assetPath = readdirSync(outdir).find((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'index.mjs')));
  return {
    ...built,
    outdir,
    templates,
    json,
    nag: { violations: plugin.violations, suppressedViolations: plugin.suppressedViolations ?? [] },
    lambdaAssetDir: options.bundle && assetPath ? join(outdir, assetPath) : undefined,
    acknowledgements: built.app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
      ),
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
