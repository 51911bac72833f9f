import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatGlobs, labelFolderParams, labelFolderSummaryMarkdown, outputFormat, parseGlobs } from '../src/lib/labelFolder';
import type { LabelFolderResult } from '../src/lib/protocol';

test('parseGlobs: commas and spaces separate, a comma in braces does not, ! excludes, empty means the default', () => {
  assert.deepEqual(parseGlobs('**/*.{txt,md}'), { include: ['**/*.{txt,md}'], exclude: [] });
  assert.deepEqual(parseGlobs(' notes/**/*.md, **/*.{txt,{md,rst}}  !drafts/** , !**/old-*.txt'),
    { include: ['notes/**/*.md', '**/*.{txt,{md,rst}}'], exclude: ['drafts/**', '**/old-*.txt'] });
  assert.deepEqual(parseGlobs(''), { include: ['**/*.{txt,md}'], exclude: [] });
  assert.deepEqual(parseGlobs('!drafts/**'), { include: ['**/*.{txt,md}'], exclude: ['drafts/**'] });
  assert.deepEqual(parseGlobs('a.txt,,b.txt !'), { include: ['a.txt', 'b.txt'], exclude: [] });
  assert.throws(() => parseGlobs('**/*.{txt,md'), /unbalanced '\{'/);
  assert.throws(() => parseGlobs('*.txt}'), /unbalanced '\}'/);
});

test('formatGlobs is what parseGlobs reads back', () => {
  const lists = { include: ['**/*.{txt,md}', 'a b'.replace(' ', '')], exclude: ['drafts/**'] };
  assert.equal(formatGlobs(lists), '**/*.{txt,md}, ab, !drafts/**');
  assert.deepEqual(parseGlobs(formatGlobs(lists)), lists);
});

test('outputFormat: .csv and .jsonl, any case; anything else is unknown', () => {
  assert.equal(outputFormat('/ws/labels.csv'), 'csv');
  assert.equal(outputFormat('/ws/LABELS.JSONL'), 'jsonl');
  assert.equal(outputFormat('/ws/labels.json'), undefined);
  assert.equal(outputFormat('/ws/labels'), undefined);
});

test('labelFolderParams: the format follows the file name; without a known extension the chosen one is added', () => {
  assert.deepEqual(labelFolderParams('/ws/news', { include: ['**/*.md'], exclude: [] }, 'paragraph', '/ws/out.jsonl'),
    { folder: '/ws/news', include: ['**/*.md'], unit: 'paragraph', format: 'jsonl', output: '/ws/out.jsonl' });
  assert.deepEqual(labelFolderParams('/ws/news', { include: ['**/*.txt'], exclude: ['drafts/**'] }, 'document', '/ws/out', 'jsonl'),
    { folder: '/ws/news', include: ['**/*.txt'], exclude: ['drafts/**'], unit: 'document', format: 'jsonl', output: '/ws/out.jsonl' });
  assert.equal(labelFolderParams('/ws', parseGlobs(''), 'document', '/ws/out.CSV').format, 'csv');
});

const result: LabelFolderResult = {
  folder: '/ws/news', output: '/ws/news/labels.csv', format: 'csv', unit: 'paragraph', filesMatched: 4, filesLabeled: 3, rows: 7, skipped: 1,
  skippedFiles: [{ file: 'bin|ary.txt', reason: 'has NUL characters' }],
  labelCounts: [
    { label: 'World', documents: 0, paragraphs: 1 }, { label: 'Sports', documents: 2, paragraphs: 4 },
    { label: 'Business', documents: 1, paragraphs: 2 }, { label: 'Sci/Tech', documents: 0, paragraphs: 0 },
  ],
  seconds: 1.234,
};

test('labelFolderSummaryMarkdown: where the rows went, a row per label with its share, the skipped files', () => {
  const md = labelFolderSummaryMarkdown(result, new Date('2026-11-26T12:00:00Z'));
  assert.match(md, /Folder `\/ws\/news` → `\/ws\/news\/labels\.csv` \(CSV, one row per paragraph\)/);
  assert.match(md, /3 of 4 files labelled, 1 skipped, 7 rows · 1\.2 s · 2026-11-26 12:00:00 UTC/);
  const rows = md.split('\n').filter((l) => l.startsWith('|'));
  assert.equal(rows[0], '| Label | Documents | Paragraphs | Share of paragraphs |');
  assert.equal(rows[3], '| **Sports** | 2 | 4 | 57.1% |');
  assert.equal(rows[5], '| **Sci/Tech** | 0 | 0 | 0.0% |');
  assert.match(md, /## Skipped \(1\)/);
  assert.match(md, /\| bin\\\|ary\.txt \| has NUL characters \|/);

  const perFile = labelFolderSummaryMarkdown({ ...result, unit: 'document', skipped: 0, skippedFiles: [], output: null });
  assert.match(perFile, /\| Label \| Documents \| Share \|/);
  assert.match(perFile, /\| \*\*Sports\*\* \| 2 \| 66\.7% \|/);
  assert.match(perFile, /\(standard output\)/);
  assert.doesNotMatch(perFile, /Skipped/);
  assert.match(labelFolderSummaryMarkdown({ ...result, skipped: 150 }), /## Skipped \(150, the first 1 listed\)/);
});
