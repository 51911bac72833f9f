import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { accessibleText, metricsSourceLabel, paragraphCounts, pct, predictionSummary, sortedProbabilities, statusBarText, summaryMarkdown } from '../src/lib/format';
import { business, prediction, report, sports, status } from './fixtures';

test('pct', () => {
  assert.equal(pct(0.875), '87.5%');
  assert.equal(pct(1, 0), '100%');
  assert.equal(pct(NaN), '–');
});

test('predictionSummary sorts and marks truncation', () => {
  assert.equal(predictionSummary(sports), 'Sports (93.0%) · Business 3.0% · Sci/Tech 2.0% · World 2.0%');
  assert.deepEqual(sortedProbabilities(business).map(([l]) => l), ['Business', 'Sci/Tech', 'World', 'Sports']);
  assert.match(predictionSummary(prediction('World', { World: 1 }, true)), /long text \(42 tokens\): only the first part was read/);
});

test('summaryMarkdown: a table row per document, errors and totals', () => {
  const md = summaryMarkdown([
    { name: 'a.txt', uri: 'file:///a.txt', result: { uri: 'file:///a.txt', document: sports, paragraphs: [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } }, text: 'x', prediction: sports },
      { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 5 } }, text: 'y', prediction: business },
      { range: { start: { line: 4, character: 0 }, end: { line: 4, character: 5 } }, text: 'z', prediction: sports }] } },
    { name: 'b|c.md', uri: 'file:///b.md', result: { uri: 'file:///b.md', document: business } },
    { name: 'bad.txt', uri: 'file:///bad.txt', error: 'binary content' },
  ], new Date('2026-11-26T12:00:00Z'));
  const rows = md.split('\n').filter((l) => l.startsWith('|'));
  assert.equal(rows.length, 5);
  assert.equal(rows[0], '| Document | Label | World | Sports | Business | Sci/Tech | Paragraphs |');
  assert.equal(rows[2], '| a.txt | **Sports** | 2.0% | 93.0% | 3.0% | 2.0% | 2 Sports, 1 Business |');
  assert.match(rows[3], /^\| b\\\|c\.md \| \*\*Business\*\* /);
  assert.match(rows[4], /error: binary content/);
  assert.match(md, /3 documents · 2026-11-26 12:00:00 UTC/);
  assert.match(md, /- \*\*Business\*\*: 1/);
  assert.match(summaryMarkdown([]), /No open documents/);
});

test('paragraphCounts', () => {
  assert.equal(paragraphCounts({ uri: 'u', document: sports }), '');
});

test('statusBarText', () => {
  assert.match(statusBarText('starting').text, /AgNews/);
  assert.match(statusBarText('failed').tooltip, /failed/);
  const t = statusBarText('running', status);
  assert.equal(t.text, '$(tag) all-MiniLM-L6-v2 · head.bin · 87.5% (validation)');
  assert.match(t.tooltip, /macro F1 87.1% on 400 validation rows/);
  const evaluated = statusBarText('running', { ...status, lastMetricsSource: 'evaluation: test.csv' });
  assert.equal(evaluated.text, '$(tag) all-MiniLM-L6-v2 · head.bin · 87.5% (test.csv)');
  assert.match(evaluated.tooltip, /on 400 rows of test\.csv/);
  const noHead = statusBarText('running', { ...status, headPath: null, lastMetrics: null, training: true });
  assert.equal(noHead.text, '$(loading~spin) all-MiniLM-L6-v2 · no head');
  assert.equal(accessibleText(t), 'AgNews: all-MiniLM-L6-v2 · head.bin · 87.5% (validation)');
  assert.equal(accessibleText(statusBarText('failed')), 'AgNews');
  assert.equal(statusBarText('running').text, '$(tag) AgNews');
  // A report the client kept has no source from the server: no parenthesis rather than a wrong one.
  assert.equal(statusBarText('running', { ...status, lastMetrics: null, lastMetricsSource: null }, report).text, '$(tag) all-MiniLM-L6-v2 · head.bin · 87.5%');
  assert.equal(statusBarText('running', { ...status, lastMetrics: null, lastMetricsSource: 'validation' }, report).text, '$(tag) all-MiniLM-L6-v2 · head.bin · 87.5%');
});


test('metricsSourceLabel: validation, the evaluated files by name, or nothing', () => {
  assert.equal(metricsSourceLabel('validation'), 'validation');
  assert.equal(metricsSourceLabel('evaluation: test.csv'), 'test.csv');
  assert.equal(metricsSourceLabel('evaluation: /data/ag/test.csv, more.jsonl'), 'test.csv, more.jsonl');
  assert.equal(metricsSourceLabel('evaluation: '), 'evaluation');
  assert.equal(metricsSourceLabel(null), undefined);
  assert.equal(metricsSourceLabel(undefined), undefined);
});
