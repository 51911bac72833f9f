// Report webview HTML: confusion matrix heat map, per-class precision/recall/F1, training curves.
// Plain HTML + inline SVG, no scripts, no remote resources; strict CSP with a nonce for the one <style>. No `vscode` import.
import type { Epoch, Report, TrainResult } from './protocol';
import { pct } from './format';

export interface ReportModel {
  title: string;
  /** e.g. "Evaluation of test.csv" or "Validation after training". */
  subtitle?: string;
  report?: Report | null;
  train?: TrainResult | null;
  generatedAt?: Date;
}

export interface RenderOptions {
  nonce: string;
  /** webview.cspSource; only used in the CSP header. */
  cspSource?: string;
}

export function escapeHtml(s: unknown): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function num(x: number, digits = 3): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–';
}

export function contentSecurityPolicy(nonce: string, cspSource = ''): string {
  const img = cspSource ? `img-src ${cspSource} data:` : 'img-src data:';
  return `default-src 'none'; ${img}; style-src 'nonce-${nonce}'; script-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'`;
}

/** Confusion matrix [gold][predicted] as an SVG heat map; colour = share of the gold row (recall), text = count. */
export function confusionMatrixSvg(labels: string[], matrix: number[][]): string {
  const n = labels.length;
  if (n === 0 || !Array.isArray(matrix) || matrix.length === 0) return '<p class="muted">No confusion matrix.</p>';
  const cell = 64;
  const left = 96;
  const top = 90;
  const w = Math.max(left + n * cell + 8, left + 300);
  const h = top + n * cell + 34;
  const parts: string[] = [];
  parts.push(`<svg class="heatmap" role="img" aria-label="Confusion matrix" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  parts.push(`<text class="axis" x="${left + (n * cell) / 2}" y="14" text-anchor="middle">predicted</text>`);
  parts.push(`<text class="axis" x="14" y="${top + (n * cell) / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + (n * cell) / 2})">gold</text>`);
  for (let j = 0; j < n; j++) {
    const x = left + j * cell + cell / 2;
    parts.push(`<text class="lbl" x="${x}" y="${top - 8}" text-anchor="start" transform="rotate(-40 ${x} ${top - 8})">${escapeHtml(labels[j])}</text>`);
  }
  for (let i = 0; i < n; i++) {
    const row = matrix[i] ?? [];
    const total = row.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const y = top + i * cell;
    parts.push(`<text class="lbl" x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end">${escapeHtml(labels[i])}</text>`);
    for (let j = 0; j < n; j++) {
      const v = Number.isFinite(row[j]) ? row[j] : 0;
      const share = total > 0 ? v / total : 0;
      const x = left + j * cell;
      const cls = i === j ? 'cell diag' : 'cell off';
      const opacity = (0.06 + 0.94 * share).toFixed(3);
      parts.push(`<rect class="${cls}" x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill-opacity="${opacity}"><title>gold ${escapeHtml(labels[i])}, predicted ${escapeHtml(labels[j])}: ${v} (${pct(share)} of the row)</title></rect>`);
      const tcls = share > 0.55 ? 'count strong' : 'count';
      parts.push(`<text class="${tcls}" x="${x + (cell - 2) / 2}" y="${y + cell / 2 + 4}" text-anchor="middle">${v}</text>`);
    }
  }
  parts.push(`<text class="muted small" x="${left}" y="${h - 8}">colour: share of the gold row; numbers: counts</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export function perClassTable(report: Report): string {
  const rows = (report.perClass ?? []).map((c) =>
    `<tr><th scope="row">${escapeHtml(c.label)}</th><td>${num(c.precision)}</td><td>${num(c.recall)}</td><td>${num(c.f1)}</td><td>${escapeHtml(c.support)}</td></tr>`);
  return `<table class="metrics"><thead><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface Series { name: string; cls: string; values: number[] }

/** Line chart of `series` over epochs; y range from the data (or fixed [0,1] when `unit` is true). */
export function lineChartSvg(title: string, epochs: number[], series: Series[], unit = false): string {
  const w = 420;
  const h = 220;
  const l = 48, r = 12, t = 26, b = 34;
  const all = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  if (epochs.length === 0 || all.length === 0) return '';
  let lo = unit ? 0 : Math.min(...all);
  let hi = unit ? 1 : Math.max(...all);
  if (!unit) { const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 0.1; lo = Math.max(0, lo - pad); hi = hi + pad; }
  const e0 = Math.min(...epochs), e1 = Math.max(...epochs);
  const sx = (e: number) => l + (e1 === e0 ? (w - l - r) / 2 : ((e - e0) / (e1 - e0)) * (w - l - r));
  const sy = (v: number) => t + (1 - (v - lo) / (hi - lo || 1)) * (h - t - b);
  const p: string[] = [];
  p.push(`<svg class="chart" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  p.push(`<text class="ctitle" x="${l}" y="16">${escapeHtml(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    const y = sy(v);
    p.push(`<line class="grid" x1="${l}" x2="${w - r}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`);
    p.push(`<text class="tick" x="${l - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end">${unit ? pct(v, 0) : v.toFixed(2)}</text>`);
  }
  const step = Math.max(1, Math.ceil(epochs.length / 8));
  epochs.forEach((e, i) => {
    if (i % step === 0 || i === epochs.length - 1) p.push(`<text class="tick" x="${sx(e).toFixed(1)}" y="${h - b + 16}" text-anchor="middle">${e}</text>`);
  });
  p.push(`<text class="tick" x="${(l + w - r) / 2}" y="${h - 4}" text-anchor="middle">epoch</text>`);
  series.forEach((s, si) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${sx(epochs[i]).toFixed(1)},${sy(v).toFixed(1)}` : '')).filter(Boolean);
    if (pts.length) p.push(`<polyline class="line ${s.cls}" fill="none" points="${pts.join(' ')}"/>`);
    for (const pt of pts) { const [x, y] = pt.split(','); p.push(`<circle class="dot ${s.cls}" cx="${x}" cy="${y}" r="2.5"/>`); }
    const lx = l + 8 + si * 130;
    p.push(`<line class="line ${s.cls}" x1="${lx}" x2="${lx + 16}" y1="${t + 6}" y2="${t + 6}"/><text class="tick" x="${lx + 20}" y="${t + 10}">${escapeHtml(s.name)}</text>`);
  });
  p.push('</svg>');
  return p.join('');
}

export function historyCharts(history: Epoch[]): string {
  if (!history || history.length === 0) return '<p class="muted">No training history (evaluate-only report).</p>';
  const epochs = history.map((h) => h.epoch);
  return '<div class="charts">' +
    lineChartSvg('Loss', epochs, [
      { name: 'train', cls: 's-train', values: history.map((h) => h.trainLoss) },
      { name: 'validation', cls: 's-val', values: history.map((h) => h.validationLoss) },
    ]) +
    lineChartSvg('Accuracy', epochs, [
      { name: 'train', cls: 's-train', values: history.map((h) => h.trainAccuracy) },
      { name: 'validation', cls: 's-val', values: history.map((h) => h.validationAccuracy) },
    ], true) +
    '</div>';
}

const CSS = `
body { font-family: var(--vscode-font-family, sans-serif); color: var(--vscode-foreground, #222); background: var(--vscode-editor-background, #fff); padding: 0 20px 20px; }
h1 { font-size: 1.4em; margin-bottom: 0.1em; } h2 { font-size: 1.1em; margin-top: 1.4em; }
.muted { opacity: 0.7; } .small { font-size: 10px; }
.kpis { display: flex; gap: 14px; flex-wrap: wrap; margin: 12px 0; }
.kpi { border: 1px solid var(--vscode-panel-border, #ccc); border-radius: 4px; padding: 6px 12px; min-width: 90px; }
.kpi b { display: block; font-size: 1.3em; }
table.metrics { border-collapse: collapse; } table.metrics th, table.metrics td { padding: 3px 12px; border-bottom: 1px solid var(--vscode-panel-border, #ddd); text-align: right; }
table.metrics th[scope=row], table.metrics thead th:first-child { text-align: left; }
svg text { fill: var(--vscode-foreground, #222); font-size: 12px; font-family: var(--vscode-font-family, sans-serif); }
svg .axis { font-style: italic; opacity: 0.8; } svg .ctitle { font-weight: bold; }
svg .tick { font-size: 10px; opacity: 0.85; }
svg rect.cell.diag { fill: #2e8b57; } svg rect.cell.off { fill: #c0392b; }
svg text.count.strong { fill: #fff; font-weight: bold; }
svg .grid { stroke: var(--vscode-panel-border, #ccc); stroke-width: 0.5; }
svg .line { stroke-width: 2; fill: none; } svg .s-train { stroke: #3794ff; fill: #3794ff; } svg .s-val { stroke: #e5a000; fill: #e5a000; }
svg polyline.line { fill: none; }
.charts { display: flex; gap: 16px; flex-wrap: wrap; }
.grid2 { display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }
`;

export function renderReportHtml(model: ReportModel, opts: RenderOptions): string {
  const r = model.report ?? model.train?.validation ?? null;
  const body: string[] = [];
  body.push(`<h1>${escapeHtml(model.title)}</h1>`);
  if (model.subtitle) body.push(`<p class="muted">${escapeHtml(model.subtitle)}</p>`);
  if (!r) {
    body.push('<p>No report yet. Run <b>AgNews: Train Head</b> or <b>AgNews: Evaluate</b>.</p>');
  } else {
    body.push('<div class="kpis">' +
      `<div class="kpi">accuracy<b id="accuracy">${pct(r.accuracy)}</b></div>` +
      `<div class="kpi">macro F1<b>${num(r.macroF1)}</b></div>` +
      `<div class="kpi">log loss<b>${num(r.logLoss)}</b></div>` +
      (typeof r.expectedCalibrationError === 'number' ? `<div class="kpi" title="expected calibration error: how far the shown probabilities are from the accuracy they claim">ECE<b id="ece">${num(r.expectedCalibrationError)}</b></div>` : '') +
      `<div class="kpi">examples<b>${escapeHtml(r.count)}</b></div>` +
      '</div>');
    body.push('<div class="grid2">');
    body.push(`<section><h2>Confusion matrix</h2>${confusionMatrixSvg(r.labelNames ?? [], r.confusionMatrix ?? [])}</section>`);
    body.push(`<section><h2>Per class</h2>${perClassTable(r)}</section>`);
    body.push('</div>');
  }
  if (model.train) {
    const t = model.train;
    body.push('<h2>Training</h2>');
    body.push(`<p>Head <code>${escapeHtml(t.headPath)}</code> · ${escapeHtml(t.trainCount)} training / ${escapeHtml(t.validationCount)} validation examples` +
      `${t.skippedRows ? ` · ${escapeHtml(t.skippedRows)} rows skipped` : ''}` +
      `${t.duplicateRows ? ` · ${escapeHtml(t.duplicateRows)} texts already in an earlier file left out` : ''}` +
      `${t.headKind ? ` · ${escapeHtml(t.headKind)} head` : ''}` +
      `${typeof t.temperature === 'number' ? ` · temperature ${num(t.temperature, 2)}` : ''}` +
      ` · features ${num(t.featureSeconds, 1)} s · training ${num(t.trainSeconds, 1)} s</p>`);
    body.push(historyCharts(t.history ?? []));
  }
  if (model.generatedAt) body.push(`<p class="muted small">${escapeHtml(model.generatedAt.toISOString())}</p>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(opts.nonce, opts.cspSource)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style nonce="${escapeHtml(opts.nonce)}">${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

export function makeNonce(random: () => number = Math.random): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(random() * chars.length));
  return s;
}
