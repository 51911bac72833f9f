// The pure parts of Label Folder…: the globs the user types, the output format, the request params and the summary
// document. No `vscode` import.
import { pct } from './format';
import {
  DEFAULT_LABEL_FOLDER_INCLUDE, type LabelFolderFormat, type LabelFolderParams, type LabelFolderResult, type LabelFolderUnit,
} from './protocol';

export interface GlobLists { include: string[]; exclude: string[] }

/**
 * The globs typed into one input box: separated by commas or spaces (a comma inside {a,b} belongs to the glob), a
 * leading `!` makes a glob an exclude. No include means the server's default. Throws a user-facing message for braces
 * that do not balance, so the user can fix the input before anything runs (the server checks the rest).
 */
export function parseGlobs(text: string): GlobLists {
  const globs: string[] = [];
  let current = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '{') depth++;
    else if (ch === '}') { depth--; if (depth < 0) throw new Error(`unbalanced '}' in "${text.trim()}"`); }
    if (depth === 0 && (ch === ',' || /\s/.test(ch))) {
      if (current) globs.push(current);
      current = '';
    } else current += ch;
  }
  if (depth !== 0) throw new Error(`unbalanced '{' in "${text.trim()}"`);
  if (current) globs.push(current);
  const include = globs.filter((g) => !g.startsWith('!'));
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1)).filter((g) => g !== '');
  return { include: include.length ? include : [DEFAULT_LABEL_FOLDER_INCLUDE], exclude };
}

/** The input box's text for these lists (what parseGlobs reads back). */
export function formatGlobs(lists: GlobLists): string {
  return [...lists.include, ...lists.exclude.map((g) => `!${g}`)].join(', ');
}

/** The format a file name asks for, or undefined when its extension is neither .csv nor .jsonl. */
export function outputFormat(outputPath: string): LabelFolderFormat | undefined {
  const lower = outputPath.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl')) return 'jsonl';
  return undefined;
}

/** agnews/labelFolder params; an output without a known extension gets the chosen format's. */
export function labelFolderParams(folder: string, globs: GlobLists, unit: LabelFolderUnit, output: string, chosenFormat: LabelFolderFormat = 'csv'): LabelFolderParams {
  const format = outputFormat(output);
  const params: LabelFolderParams = {
    folder, include: globs.include, unit, format: format ?? chosenFormat, output: format ? output : `${output}.${chosenFormat}`,
  };
  if (globs.exclude.length) params.exclude = globs.exclude;
  return params;
}

function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The summary document: where the rows went, counts per label, and the skipped files with the reason. */
export function labelFolderSummaryMarkdown(r: LabelFolderResult, when: Date = new Date()): string {
  const perParagraph = r.unit === 'paragraph';
  const lines: string[] = ['# AgNews: labels of a folder', ''];
  lines.push(`Folder \`${r.folder}\` → \`${r.output ?? '(standard output)'}\` (${r.format.toUpperCase()}, one row per ${r.unit})`, '');
  lines.push(`${r.filesLabeled} of ${r.filesMatched} file${r.filesMatched === 1 ? '' : 's'} labelled, ${r.skipped} skipped, ${r.rows} row${r.rows === 1 ? '' : 's'} · ` +
    `${r.seconds.toFixed(1)} s · ${when.toISOString().replace('T', ' ').slice(0, 19)} UTC`, '');
  const total = (c: { documents: number; paragraphs: number }) => (perParagraph ? c.paragraphs : c.documents);
  const sum = r.labelCounts.reduce((n, c) => n + total(c), 0);
  lines.push(perParagraph ? '| Label | Documents | Paragraphs | Share of paragraphs |' : '| Label | Documents | Share |');
  lines.push(perParagraph ? '| --- | ---: | ---: | ---: |' : '| --- | ---: | ---: |');
  for (const c of r.labelCounts) {
    const share = sum ? pct(total(c) / sum) : '–';
    lines.push(perParagraph ? `| **${mdCell(c.label)}** | ${c.documents} | ${c.paragraphs} | ${share} |` : `| **${mdCell(c.label)}** | ${c.documents} | ${share} |`);
  }
  if (r.skippedFiles.length) {
    lines.push('', `## Skipped (${r.skipped}${r.skipped > r.skippedFiles.length ? `, the first ${r.skippedFiles.length} listed` : ''})`, '');
    lines.push('| File | Reason |', '| --- | --- |');
    for (const f of r.skippedFiles) lines.push(`| ${mdCell(f.file)} | ${mdCell(f.reason)} |`);
  }
  return lines.join('\n') + '\n';
}
