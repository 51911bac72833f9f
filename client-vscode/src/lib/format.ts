// Text formatting of predictions, the open-documents summary and the status bar. No `vscode` import.
import type { LabelDocumentResult, Prediction, Report, StatusResult } from './protocol';

export function pct(x: number, digits = 1): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

/** Probabilities sorted high to low. */
export function sortedProbabilities(p: Prediction): [string, number][] {
  return Object.entries(p.probabilities ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "Sports (97.1%) · World 1.2% · Business 1.0% · Sci/Tech 0.7%" */
export function predictionSummary(p: Prediction): string {
  const probs = sortedProbabilities(p);
  const own = p.probabilities?.[p.label];
  const head = own === undefined ? p.label : `${p.label} (${pct(own)})`;
  const rest = probs.filter(([l]) => l !== p.label).map(([l, v]) => `${l} ${pct(v)}`);
  const tail = p.truncated ? ` · long text (${p.tokenCount} tokens): only the first part was read` : '';
  return [head, ...rest].join(' · ') + tail;
}

export interface LabelledDocument {
  /** Name to show (workspace-relative path or file name). */
  name: string;
  uri: string;
  result?: LabelDocumentResult;
  error?: string;
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Markdown summary of all labelled open documents: one row per document, one column per class. */
export function summaryMarkdown(docs: LabelledDocument[], when: Date = new Date()): string {
  const labels: string[] = [];
  for (const d of docs) {
    for (const l of Object.keys(d.result?.document.probabilities ?? {})) if (!labels.includes(l)) labels.push(l);
  }
  const lines: string[] = [];
  lines.push('# AgNews: labels of open documents', '');
  lines.push(`${docs.length} document${docs.length === 1 ? '' : 's'} · ${when.toISOString().replace('T', ' ').slice(0, 19)} UTC`, '');
  if (docs.length === 0) {
    lines.push('No open documents in the enabled languages (setting `agnews.languages`).');
    return lines.join('\n') + '\n';
  }
  lines.push(`| Document | Label | ${labels.map(mdCell).join(' | ')}${labels.length ? ' | ' : ''}Paragraphs |`);
  lines.push(`| --- | --- | ${labels.map(() => '---:').join(' | ')}${labels.length ? ' | ' : ''}--- |`);
  for (const d of docs) {
    if (!d.result) {
      lines.push(`| ${mdCell(d.name)} | error: ${mdCell(d.error ?? 'no result')} | ${labels.map(() => '').join(' | ')}${labels.length ? ' | ' : ''} |`);
      continue;
    }
    const p = d.result.document;
    const cells = labels.map((l) => (p.probabilities[l] === undefined ? '' : pct(p.probabilities[l])));
    const paras = paragraphCounts(d.result);
    lines.push(`| ${mdCell(d.name)} | **${mdCell(p.label)}**${p.truncated ? ' (truncated)' : ''} | ${cells.join(' | ')}${labels.length ? ' | ' : ''}${mdCell(paras)} |`);
  }
  const counts = new Map<string, number>();
  for (const d of docs) if (d.result) counts.set(d.result.document.label, (counts.get(d.result.document.label) ?? 0) + 1);
  if (counts.size) {
    lines.push('', '## Totals', '');
    for (const [l, n] of [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) lines.push(`- **${mdCell(l)}**: ${n}`);
  }
  return lines.join('\n') + '\n';
}

/** "3 Sports, 1 World" over the paragraphs, or "" without paragraphs. */
export function paragraphCounts(r: LabelDocumentResult): string {
  if (!r.paragraphs || r.paragraphs.length === 0) return '';
  const counts = new Map<string, number>();
  for (const p of r.paragraphs) counts.set(p.prediction.label, (counts.get(p.prediction.label) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l, n]) => `${n} ${l}`).join(', ');
}

export function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

export interface StatusBarText { text: string; tooltip: string }

/** Status bar text without $(icon) codes, for screen readers (and UI tests). */
export function accessibleText(t: StatusBarText): string {
  const plain = t.text.replace(/\$\([^)]*\)\s*/g, '').trim();
  return plain.startsWith('AgNews') ? plain : `AgNews: ${plain}`;
}

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

/**
 * What the accuracy on the status bar was measured on, from agnews/status lastMetricsSource: "validation" (the head's
 * held-out rows) or the evaluated files' names; undefined when the server does not say.
 */
export function metricsSourceLabel(source: string | null | undefined): string | undefined {
  if (!source) return undefined;
  const evaluation = /^evaluation:\s*(.*)$/.exec(source);
  if (!evaluation) return source;
  const files = evaluation[1].split(',').map((f) => basename(f.trim())).filter((f) => f !== '');
  return files.length ? files.join(', ') : 'evaluation';
}

/** Status bar text: model, head and its accuracy with what it was measured on ("91.9% (test.csv)"). */
export function statusBarText(state: ServerState, status?: StatusResult, lastReport?: Report): StatusBarText {
  if (state === 'starting') return { text: '$(sync~spin) AgNews', tooltip: 'AgNews: starting the server…' };
  if (state === 'failed') return { text: '$(error) AgNews', tooltip: 'AgNews: the server failed to start. Click to show its output.' };
  if (state === 'stopped') return { text: '$(circle-slash) AgNews', tooltip: 'AgNews: server stopped' };
  if (!status) return { text: '$(tag) AgNews', tooltip: 'AgNews server: running' };
  const head = status.headPath ? basename(status.headPath) : 'no head';
  const metrics = status.lastMetrics ?? lastReport;
  // The server's source describes its own lastMetrics only; a report the client kept has none.
  const source = status.lastMetrics ? metricsSourceLabel(status.lastMetricsSource) : undefined;
  const acc = metrics ? ` · ${pct(metrics.accuracy)}${source ? ` (${source})` : ''}` : '';
  const busy = status.training ? '$(loading~spin) ' : '$(tag) ';
  const text = `${busy}${status.modelName || basename(status.modelPath) || 'model'} · ${head}${acc}`;
  const tip = [
    `AgNews server — ${status.training ? 'training…' : 'ready'}`,
    `Model: ${status.modelName} (${status.modelPath})`,
    `Head: ${status.headPath ?? '(none)'}`,
    metrics ? `Accuracy: ${pct(metrics.accuracy)} · macro F1 ${pct(metrics.macroF1)} on ${metrics.count}${source ? ` ${source === 'validation' ? 'validation rows' : `rows of ${source}`}` : ''}` : 'No metrics yet',
    `Pooling: ${status.pooling} · max tokens ${status.maxTokens} · ${status.device} ${status.precision}`,
    'Click to show the report.',
  ].join('\n');
  return { text, tooltip: tip };
}

export function errorMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}
