'use strict';
// Hover, classify, labelDocument, status, executeCommand and progress against the real engine.
// Needs a server build whose engine loads (model + trained head); skipped with AGNEWS_NODE_ENGINE=0.
// Optional: AGNEWS_NODE_EVAL_DATA=<labelled file> also runs agnews/evaluate with progress and cancellation;
// AGNEWS_NODE_EXPECT_LABELS=1 also checks that blatant texts get the obvious label.
const test = require('node:test');
const assert = require('node:assert/strict');
const rpc = require('vscode-jsonrpc/node');
const { startStdio, initializeParams, errorCode, withTimeout, stop, engineAvailable, ENGINE_TIMEOUT_MS } = require('../lib/server');

const skip = engineAvailable ? false : 'AGNEWS_NODE_ENGINE=0: no engine in this build';
const LABELS = ['World', 'Sports', 'Business', 'Sci/Tech'];
const SPORTS = 'The Lakers beat the Celtics 102-98 in overtime as LeBron James scored 40 points and the crowd roared.';
const BUSINESS = 'Shares of the bank fell 5 percent after quarterly profit missed analyst forecasts and the dollar slipped.';
const DOC = `${SPORTS}\nThe coach praised the defence.\n\nok\n\n${BUSINESS}\n`;
const URI = 'file:///tmp/agnews-node-test.txt';
const expectLabels = process.env.AGNEWS_NODE_EXPECT_LABELS === '1';

async function ready(initializationOptions = {}) {
  const s = startStdio();
  await withTimeout(s.connection.sendRequest('initialize', initializeParams(initializationOptions)), 30000, 'initialize');
  await s.connection.sendNotification('initialized', {});
  await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'plaintext', version: 1, text: DOC } });
  return s;
}

function checkPrediction(p) {
  assert.ok(LABELS.includes(p.label), `label ${p.label}`);
  assert.equal(LABELS[p.labelIndex], p.label);
  const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  assert.deepEqual(Object.keys(p.probabilities), LABELS);
  assert.equal(typeof p.truncated, 'boolean');
  assert.ok(p.tokenCount > 0);
}

test('hover: Markdown with the bold label and one bar per class; null on tiny text', { skip, timeout: ENGINE_TIMEOUT_MS }, async () => {
  const s = await ready();
  try {
    const hover = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 1, character: 4 } });
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /^\*\*[^*]+\*\* \d+\.\d%/);
    for (const label of LABELS) assert.ok(hover.contents.value.includes(label), `bar for ${label}`);
    assert.match(hover.contents.value, /█|░/);
    assert.deepEqual(hover.range.start, { line: 0, character: 0 });
    assert.equal(hover.range.end.line, 1);
    if (expectLabels) assert.match(hover.contents.value, /^\*\*Sports\*\*/);
    const tiny = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 3, character: 0 } });
    assert.equal(tiny, null);
    const blank = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 2, character: 0 } });
    assert.equal(blank, null);
  } finally {
    await stop(s);
  }
});

test('hover unit "line" labels only the line', { skip, timeout: ENGINE_TIMEOUT_MS }, async () => {
  const s = await ready({ hoverUnit: 'line' });
  try {
    const hover = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 1, character: 4 } });
    assert.equal(hover.range.start.line, 1);
    assert.equal(hover.range.end.line, 1);
  } finally {
    await stop(s);
  }
});

test('agnews/classify and agnews/classify', { skip, timeout: ENGINE_TIMEOUT_MS }, async () => {
  const s = await ready();
  try {
    const one = await s.connection.sendRequest('agnews/classify', { text: SPORTS });
    assert.equal(one.predictions.length, 1);
    checkPrediction(one.predictions[0]);
    const many = await s.connection.sendRequest('workspace/executeCommand', { command: 'agnews/classify', arguments: [{ texts: [SPORTS, BUSINESS] }] });
    assert.equal(many.predictions.length, 2);
    many.predictions.forEach(checkPrediction);
    if (expectLabels) assert.deepEqual(many.predictions.map((p) => p.label), ['Sports', 'Business']);
  } finally {
    await stop(s);
  }
});

test('agnews/embed: one vector per text, in order, the same for the same text', { skip, timeout: ENGINE_TIMEOUT_MS }, async () => {
  const s = await ready();
  try {
    const r = await s.connection.sendRequest('agnews/embed', { texts: [SPORTS, BUSINESS, SPORTS], pooling: 'mean' });
    assert.equal(r.pooling, 'mean');
    assert.equal(r.vectors.length, 3);
    for (const v of r.vectors) {
      assert.equal(v.length, r.dimension);
      assert.ok(v.every(Number.isFinite));
    }
    assert.deepEqual(r.vectors[2], r.vectors[0]);
    assert.notDeepEqual(r.vectors[1], r.vectors[0]);
    const last4 = await s.connection.sendRequest('agnews/embed', { texts: [SPORTS], pooling: 'cls-last4' });
    assert.equal(last4.dimension, 4 * r.dimension);
    assert.equal(last4.fingerprint, r.fingerprint);
    assert.equal(await errorCode(s.connection.sendRequest('agnews/embed', { texts: [SPORTS], pooling: 'max' })), -32602);
  } finally {
    await stop(s);
  }
});

test('agnews/labelDocument per paragraph, with diagnostics; agnews/status', { skip, timeout: ENGINE_TIMEOUT_MS }, async () => {
  const s = await ready();
  try {
    const result = await s.connection.sendRequest('agnews/labelDocument', { uri: URI, unit: 'paragraph' });
    assert.equal(result.uri, URI);
    checkPrediction(result.document);
    assert.equal(result.paragraphs.length, 2);
    assert.deepEqual(result.paragraphs[1].range.start, { line: 5, character: 0 });
    result.paragraphs.forEach((p) => checkPrediction(p.prediction));
    await withTimeout((async () => { while (s.diagnostics.length === 0) await new Promise((r) => setTimeout(r, 20)); })(), 5000, 'diagnostics');
    assert.equal(s.diagnostics[0].diagnostics.length, 2);
    assert.equal(s.diagnostics[0].diagnostics[0].severity, 3);

    const status = await s.connection.sendRequest('agnews/status', {});
    assert.equal(typeof status.modelName, 'string');
    assert.equal(status.training, false);
    assert.equal(typeof status.maxTokens, 'number');
  } finally {
    await stop(s);
  }
});

const evalData = process.env.AGNEWS_NODE_EVAL_DATA;
test('agnews/evaluate reports progress begin/report/end and is cancellable by $/cancelRequest',
  { skip: skip || (!evalData && 'set AGNEWS_NODE_EVAL_DATA to a labelled file'), timeout: ENGINE_TIMEOUT_MS * 2 }, async () => {
    const s = await ready({ progressThrottleMs: 0 });
    try {
      const report = await s.connection.sendRequest('agnews/evaluate', { dataPath: evalData, limit: 64, workDoneToken: 'eval-1' });
      assert.equal(report.count, 64);
      assert.equal(report.labelNames.length, 4);
      const kinds = s.progress.filter((p) => p.token === 'eval-1').map((p) => p.value.kind);
      assert.equal(kinds[0], 'begin');
      assert.equal(kinds[kinds.length - 1], 'end');
      assert.ok(kinds.slice(1, -1).every((k) => k === 'report'));

      const source = new rpc.CancellationTokenSource();
      const pending = s.connection.sendRequest('agnews/evaluate', { dataPath: evalData, workDoneToken: 'eval-2' }, source.token);
      while (!s.progress.some((p) => p.token === 'eval-2')) await new Promise((r) => setTimeout(r, 20));
      source.cancel();
      assert.equal(await errorCode(pending), -32800);
    } finally {
      await stop(s);
    }
  });

const trainData = process.env.AGNEWS_NODE_TRAIN_DATA;
test('agnews/train: progress, busy second train, hovers meanwhile, cancel by window/workDoneProgress/cancel',
  { skip: skip || (!trainData && 'set AGNEWS_NODE_TRAIN_DATA to a labelled training file'), timeout: ENGINE_TIMEOUT_MS * 2 }, async () => {
    const s = await ready({ progressThrottleMs: 0 });
    try {
      const limit = Number(process.env.AGNEWS_NODE_TRAIN_LIMIT || 2000);
      const first = s.connection.sendRequest('agnews/train', { dataPath: trainData, limit, maxPasses: 1, workDoneToken: 'train-1' });
      first.catch(() => {});
      await withTimeout((async () => { while (!s.progress.some((p) => p.token === 'train-1')) await new Promise((r) => setTimeout(r, 20)); })(), ENGINE_TIMEOUT_MS, 'train begin');
      assert.equal(s.progress.find((p) => p.token === 'train-1').value.kind, 'begin');
      assert.equal(await errorCode(s.connection.sendRequest('agnews/train', { dataPath: trainData, limit })), -32001);
      const hover = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 0, character: 0 } });
      assert.equal(hover.contents.kind, 'markdown');
      const status = await s.connection.sendRequest('agnews/status', {});
      assert.equal(status.training, true);
      await s.connection.sendNotification('window/workDoneProgress/cancel', { token: 'train-1' });
      assert.equal(await errorCode(first), -32800);
      const end = s.progress.filter((p) => p.token === 'train-1').pop();
      assert.equal(end.value.kind, 'end');
    } finally {
      await stop(s);
    }
  });
