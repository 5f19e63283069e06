import type { ConsoleStep, StepGraph as Graph } from '@petal/contracts';
import { useI18n } from './i18n.js';
import { formatDuration, splitStepName } from './format.js';

interface Props {
  graph: Graph;
  steps: readonly ConsoleStep[];
  /** Narrow screens: layers go down the page instead of across it. */
  compact: boolean;
  selected?: string | undefined;
  onSelect?: (step: string) => void;
}

const PAD = 4;

/**
 * The execution's step graph as SVG, one box per step coloured by its status (the same layout the
 * executor's own page draws): layers left to right, or top to bottom on a narrow screen.
 */
export function StepGraph({ graph, steps, compact, selected, onSelect }: Props) {
  const { lang, t } = useI18n();
  const byName = new Map(steps.map((s) => [s.name, s]));
  const longest = Math.max(...graph.nodes.map((n) => n.name.length));
  const boxW = compact ? 104 : Math.max(140, Math.ceil(longest * 7.6) + 22);
  const boxH = compact ? 60 : 52;
  const gapAcross = compact ? 26 : 52; // between layers
  const gapAlong = compact ? 8 : 16; // between steps of one layer
  const layers = Math.max(...graph.nodes.map((n) => n.depth)) + 1;
  const perLayer = Math.max(...graph.nodes.map((n) => n.row)) + 1;

  const pos = (depth: number, row: number) =>
    compact
      ? { x: PAD + row * (boxW + gapAlong), y: PAD + depth * (boxH + gapAcross) }
      : { x: PAD + depth * (boxW + gapAcross), y: PAD + row * (boxH + gapAlong) };
  const width = compact ? 2 * PAD + perLayer * boxW + (perLayer - 1) * gapAlong : 2 * PAD + layers * boxW + (layers - 1) * gapAcross;
  const height = compact ? 2 * PAD + layers * boxH + (layers - 1) * gapAcross : 2 * PAD + perLayer * boxH + (perLayer - 1) * gapAlong;
  const at = new Map(graph.nodes.map((n) => [n.name, pos(n.depth, n.row)]));

  const edges = graph.edges.map((e) => {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const [x1, y1, x2, y2] = compact ? [a.x + boxW / 2, a.y + boxH, b.x + boxW / 2, b.y] : [a.x + boxW, a.y + boxH / 2, b.x, b.y + boxH / 2];
    const bend = gapAcross / 2;
    const d = compact ? `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}` : `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
    return (
      <g key={`${e.from}-${e.to}`}>
        <path d={d} className={`graph__edge${e.branch ? ' graph__edge--branch' : ''}`} markerEnd="url(#graph-arrow)" />
        {e.branch && (
          <text x={(x1 + x2) / 2 + (compact ? 4 : -6)} y={(y1 + y2) / 2 - 4} className="graph__edge-label">
            {e.branch}
          </text>
        )}
      </g>
    );
  });

  const nodes = graph.nodes.map((n) => {
    const step = byName.get(n.name);
    const status = step?.status ?? 'queued';
    const { x, y } = at.get(n.name)!;
    const lines = compact ? splitStepName(n.name, 10) : [n.name];
    const time = formatDuration(step?.durationMs, lang);
    const label = `${n.name}: ${t.stepStatus[status]}${time ? ` · ${time}` : ''}${step?.message ? ` — ${step.message}` : ''}`;
    return (
      <g
        key={n.name}
        className={`graph__node graph__node--${status}${selected === n.name ? ' graph__node--selected' : ''}`}
        data-testid="graph-node"
        data-step={n.name}
        data-status={status}
        role={onSelect ? 'button' : undefined}
        tabIndex={onSelect ? 0 : undefined}
        aria-label={label}
        onClick={onSelect ? () => onSelect(n.name) : undefined}
        onKeyDown={
          onSelect
            ? (event) => {
                if (event.key === 'Enter' || event.key === ' ') {
                  event.preventDefault();
                  onSelect(n.name);
                }
              }
            : undefined
        }
      >
        <title>{label}</title>
        <rect x={x} y={y} width={boxW} height={boxH} rx={8} />
        {lines.map((line, i) => (
          <text key={line} x={x + 8} y={y + (compact ? 17 + i * 14 : 21)} className="graph__name">
            {line}
          </text>
        ))}
        {/* The narrow graph leaves the time to the steps table below it. */}
        <text x={x + 8} y={y + boxH - (compact ? 9 : 12)} className="graph__status">
          {t.stepStatus[status]}
          {time && !compact ? ` · ${time}` : ''}
        </text>
      </g>
    );
  });

  return (
    <div className="graph" data-testid="step-graph">
      <svg
        xmlns="http://www.w3.org/2000/svg"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label={t.pipeline.graph}
        className="graph__svg"
      >
        <defs>
          <marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" className="graph__arrow" />
          </marker>
        </defs>
        {edges}
        {nodes}
      </svg>
    </div>
  );
}
