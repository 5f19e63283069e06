import type { Evaluation } from './metrics.js';
import type { TrainingHistory } from './training-history.js';

export interface ReportInput {
  name: string;
  version: string;
  /** When the evaluation ran. */
  createdAt: string;
  /** The training run's curves; a model without a training-history.json gets a note instead. */
  history?: TrainingHistory;
  test: Evaluation;
  /** What was scored: the held-out test share, the validation images standing in for it, or a whole folder. */
  evaluatedOn: 'test' | 'validation' | 'all';
  facts: Array<[string, string]>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '–');

/**
 * The evaluation report: one self-contained HTML page (inline SVG and CSS, no scripts, no CDN) with the
 * training curves, the confusion matrix and per-class numbers, so it opens anywhere, offline.
 */
export function renderReport(input: ReportInput): string {
  const { test, history } = input;
  const setName = { test: 'test set', validation: 'validation set', all: 'evaluation data' }[input.evaluatedOn];
  const sizeNote = { test: 'held-out images', validation: 'validation images (no test share was kept)', all: 'images' }[input.evaluatedOn];
  const curves = history
    ? `<div class="charts">
${lineChart('Loss', history.epochs, [['trainLoss', '#c0568f', 'train'], ['validationLoss', '#2e7d6b', 'validation']], history.bestEpoch)}
${lineChart('Accuracy', history.epochs, [['trainAccuracy', '#c0568f', 'train'], ['validationAccuracy', '#2e7d6b', 'validation']], history.bestEpoch)}
</div>`
    : '<p>No training history came with this model (training-history.json).</p>';
  const validationKpi = history
    ? `<div class="kpi">Validation accuracy<b>${pct(history.validationAccuracy)}</b>best epoch ${history.bestEpoch}</div>`
    : '';
  const rows = test.perClass
    .map(
      (c) =>
        `<tr><th scope="row">${esc(c.label)}</th><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${pct(c.f1)}</td><td>${c.support}</td></tr>`,
    )
    .join('');
  const facts = input.facts.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const mistakes = test.mistakes.length
    ? `<ul>${test.mistakes
        .slice(0, 50)
        .map((m) => `<li><code>${esc(m.id)}</code>: ${esc(m.actual)} → predicted ${esc(m.predicted)} (${pct(m.probability)})</li>`)
        .join('')}</ul>`
    : '<p>None.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.name)} ${esc(input.version)} — evaluation</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:980px;padding:0 1rem;color:#1f2430;background:#fcfbf8}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.sub{color:#5b6170;margin-top:0}.kpis{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{background:#fff;border:1px solid #e4e1da;border-radius:10px;padding:.8rem 1.1rem;min-width:150px}
.kpi b{display:block;font-size:1.5rem;color:#7a2f63}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #e4e1da;padding:.35rem .7rem;text-align:right}
th[scope=row]{text-align:left;font-weight:600}thead th{background:#f3efe8}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}svg{background:#fff;border:1px solid #e4e1da;border-radius:10px}
code{font-size:.85em}
.facts td{text-align:left;overflow-wrap:anywhere}.facts th{white-space:nowrap}
</style></head><body>
<h1>${esc(input.name)} <span style="color:#7a2f63">${esc(input.version)}</span></h1>
<p class="sub">Evaluation report, ${esc(input.createdAt)}</p>
<div class="kpis">
<div class="kpi">${input.evaluatedOn === 'test' ? 'Test accuracy' : 'Accuracy'}<b>${pct(test.accuracy)}</b>${test.size} ${sizeNote}</div>
<div class="kpi">Macro F1<b>${pct(test.macroF1)}</b>${setName}</div>
${validationKpi}
</div>
<h2>Training curves</h2>
${curves}
<h2>Confusion matrix (${setName})</h2>
${confusionMatrix(test)}
<h2>Per class (${setName})</h2>
<table><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Misclassified images</h2>
${mistakes}
<h2>Run</h2>
<table class="facts"><tbody>${facts}</tbody></table>
</body></html>
`;
}

type SeriesKey = 'trainLoss' | 'validationLoss' | 'trainAccuracy' | 'validationAccuracy';

function lineChart(title: string, history: TrainingHistory['epochs'], series: Array<[SeriesKey, string, string]>, bestEpoch: number): string {
  const w = 440;
  const h = 260;
  const pad = { l: 48, r: 16, t: 30, b: 36 };
  const values = history.flatMap((e) => series.map(([k]) => e[k])).filter(Number.isFinite);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (!(max > min)) {
    min -= 0.5;
    max += 0.5;
  }
  const n = Math.max(history.length, 2);
  const x = (epoch: number) => pad.l + ((epoch - 1) / (n - 1)) * (w - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - min) / (max - min)) * (h - pad.t - pad.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => min + f * (max - min));
  const grid = ticks
    .map((v) => `<line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${pad.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end" fill="#666">${v.toFixed(3)}</text>`)
    .join('');
  const lines = series
    .map(([key, color], i) => {
      const points = history.filter((e) => Number.isFinite(e[key])).map((e) => `${x(e.epoch).toFixed(1)},${y(e[key]).toFixed(1)}`);
      return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>` +
        `<rect x="${pad.l + 10 + i * 100}" y="8" width="12" height="4" fill="${color}"/><text x="${pad.l + 26 + i * 100}" y="13" font-size="11">${series[i]![2]}</text>`;
    })
    .join('');
  const best = `<line x1="${x(bestEpoch)}" x2="${x(bestEpoch)}" y1="${pad.t}" y2="${h - pad.b}" stroke="#999" stroke-dasharray="4 3"/>`;
  return `<svg role="img" aria-label="${title} per epoch" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">
<text x="${w - pad.r}" y="14" font-size="12" font-weight="600" text-anchor="end">${title}</text>${grid}${best}${lines}
<text x="${(w + pad.l) / 2}" y="${h - 8}" font-size="11" text-anchor="middle" fill="#444">epoch (1–${history.length}; dashed: kept weights)</text></svg>`;
}

function confusionMatrix(test: Evaluation): string {
  const labels = test.perClass.map((c) => c.label);
  const k = labels.length;
  const cell = Math.max(44, Math.min(90, Math.floor(560 / k)));
  const left = 150;
  const top = 120;
  const w = left + k * cell + 100; // room for the last rotated column label
  const h = top + k * cell + 10;
  const rowMax = test.confusion.map((row) => Math.max(1, row.reduce((a, b) => a + b, 0)));
  let cells = '';
  test.confusion.forEach((row, r) =>
    row.forEach((count, c) => {
      const share = count / rowMax[r]!;
      const fill = r === c ? `rgba(46,125,107,${0.12 + 0.88 * share})` : `rgba(192,86,143,${count ? 0.15 + 0.85 * share : 0})`;
      cells += `<rect x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"/>` +
        `<text x="${left + c * cell + cell / 2}" y="${top + r * cell + cell / 2 + 4}" font-size="12" text-anchor="middle" fill="${share > 0.6 ? '#fff' : '#222'}">${count}</text>`;
    }),
  );
  const rowLabels = labels.map((l, r) => `<text x="${left - 8}" y="${top + r * cell + cell / 2 + 4}" font-size="11" text-anchor="end">${esc(l)}</text>`).join('');
  const colLabels = labels
    .map((l, c) => `<text transform="translate(${left + c * cell + cell / 2 + 4},${top - 8}) rotate(-45)" font-size="11">${esc(l)}</text>`)
    .join('');
  return `<svg role="img" aria-label="Confusion matrix" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">
<text x="${left}" y="14" font-size="11" fill="#444">rows: actual · columns: predicted</text>${rowLabels}${colLabels}${cells}</svg>`;
}
