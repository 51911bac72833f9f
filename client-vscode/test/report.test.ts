import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { confusionMatrixSvg, contentSecurityPolicy, escapeHtml, historyCharts, makeNonce, renderReportHtml } from '../src/lib/report';
import { report, train } from './fixtures';

test('escapeHtml', () => {
  assert.equal(escapeHtml('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
});

test('CSP is strict: nothing remote, no scripts, nonce styles', () => {
  const csp = contentSecurityPolicy('abc', 'https://x.vscode-cdn.net');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'none'/);
  assert.match(csp, /style-src 'nonce-abc'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
});

test('heat map: one cell per matrix entry with counts and row-share opacity', () => {
  const svg = confusionMatrixSvg(report.labelNames, report.confusionMatrix);
  assert.equal((svg.match(/<rect /g) ?? []).length, 16);
  assert.equal((svg.match(/class="cell diag"/g) ?? []).length, 4);
  assert.match(svg, />97<\/text>/);
  assert.match(svg, /fill-opacity="0\.972"/); // 0.06 + 0.94 * 97/100 = 0.9718
  assert.match(svg, /Sci\/Tech/);
  assert.match(confusionMatrixSvg([], []), /No confusion matrix/);
});

test('renderReportHtml: full report with history', () => {
  const nonce = makeNonce();
  assert.equal(nonce.length, 32);
  const html = renderReportHtml({ title: 'Report <1>', subtitle: 'Evaluation of test.csv', report, train, generatedAt: new Date(0) }, { nonce, cspSource: 'vscode-resource:' });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, new RegExp(`<style nonce="${nonce}">`));
  assert.match(html, /Report &lt;1&gt;/);
  assert.match(html, /87\.5%/);
  assert.match(html, /ECE<b id="ece">0\.031<\/b>/);
  assert.match(html, /<th scope="row">Sports<\/th><td>0\.950<\/td><td>0\.970<\/td><td>0\.960<\/td><td>100<\/td>/);
  assert.match(html, /aria-label="Loss"/);
  assert.match(html, /aria-label="Accuracy"/);
  assert.equal((html.match(/<polyline /g) ?? []).length, 4);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
  assert.doesNotMatch(html, / style="/); // inline style attributes would be blocked by the CSP
});

test('renderReportHtml: empty state and evaluate-only', () => {
  assert.match(renderReportHtml({ title: 'R' }, { nonce: 'n' }), /No report yet/);
  const html = renderReportHtml({ title: 'R', report }, { nonce: 'n' });
  assert.doesNotMatch(html, /<polyline/);
  assert.match(historyCharts([]), /No training history/);
  const one = renderReportHtml({ title: 'R', train: { ...train, history: [train.history[0]] } }, { nonce: 'n' });
  assert.match(one, /<polyline /);
});
