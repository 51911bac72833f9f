#!/usr/bin/env node
// A stand-in for the AgNews server (docs/protocol.md) for running the e2e tests before the real server exists:
// LSP framing over stdio, a keyword "classifier", fake train/evaluate with $/progress and cancellation.
// NOT a model: it only exercises the client. Usage: fake-server.js serve --stdio
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const LABELS = ['World', 'Sports', 'Business', 'Sci/Tech'];
const KEYWORDS = [
  ['president', 'minister', 'government', 'election', 'war', 'iraq', 'troops', 'united nations', 'killed', 'police', 'country', 'talks', 'peace'],
  ['game', 'team', 'season', 'coach', 'win', 'won', 'match', 'cup', 'league', 'championship', 'olympic', 'player', 'score', 'goal', 'football', 'baseball', 'tennis', 'victory'],
  ['stocks', 'shares', 'market', 'company', 'profit', 'oil', 'prices', 'bank', 'economy', 'sales', 'billion', 'deal', 'investors', 'quarter', 'earnings'],
  ['software', 'internet', 'computer', 'microsoft', 'space', 'science', 'technology', 'google', 'web', 'researchers', 'apple', 'linux', 'nasa', 'phone'],
];

const docs = new Map(); // uri -> text
const cancelled = new Set();
let state = { headPath: null, lastMetrics: null, training: false, initialized: false, shutdown: false, opts: {} };
let nextId = 1;
const pending = new Map();

function log(...a) { process.stderr.write(`[fake-agnews] ${a.join(' ')}\n`); }

function send(msg) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}
const reply = (id, result) => send({ id, result });
const fail = (id, code, message) => send({ id, error: { code, message } });
const notify = (method, params) => send({ method, params });
function request(method, params) { const id = `s${nextId++}`; send({ id, method, params }); return new Promise((res) => pending.set(id, res)); }

function classify(text) {
  const t = ` ${String(text).toLowerCase()} `;
  const scores = KEYWORDS.map((ks) => ks.reduce((a, k) => a + (t.split(k).length - 1), 0));
  const exps = scores.map((s) => Math.exp(1.5 * s));
  const z = exps.reduce((a, b) => a + b, 0);
  const probabilities = {};
  LABELS.forEach((l, i) => { probabilities[l] = exps[i] / z; });
  let best = 0;
  for (let i = 1; i < 4; i++) if (scores[i] > scores[best]) best = i;
  const tokenCount = (String(text).match(/\S+/g) || []).length;
  return { label: LABELS[best], labelIndex: best, probabilities, truncated: tokenCount > 256, tokenCount } /* like the real server: the length before truncation */;
}

function paragraphs(text) {
  const lines = text.split(/\r?\n/);
  const out = [];
  let start = -1;
  for (let i = 0; i <= lines.length; i++) {
    const blank = i === lines.length || lines[i].trim() === '';
    if (!blank && start < 0) start = i;
    if (blank && start >= 0) {
      const t = lines.slice(start, i).join('\n');
      out.push({ range: { start: { line: start, character: 0 }, end: { line: i - 1, character: lines[i - 1].length } }, text: t });
      start = -1;
    }
  }
  return out;
}

function readCsv(file, limit) {
  const rows = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^"(\d)","((?:[^"]|"")*)","((?:[^"]|"")*)"/.exec(line);
    if (!m) continue;
    rows.push({ label: Number(m[1]) - 1, text: `${m[2]} ${m[3]}`.replace(/""/g, '"') });
    if (limit && rows.length >= limit) break;
  }
  return rows;
}

function report(rows) {
  const cm = LABELS.map(() => LABELS.map(() => 0));
  let correct = 0, logLoss = 0;
  for (const r of rows) {
    const p = classify(r.text);
    cm[r.label][p.labelIndex]++;
    if (p.labelIndex === r.label) correct++;
    logLoss -= Math.log(Math.max(1e-9, p.probabilities[LABELS[r.label]]));
  }
  const perClass = LABELS.map((label, k) => {
    const tp = cm[k][k];
    const support = cm[k].reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, row) => a + row[k], 0);
    const precision = predicted ? tp / predicted : 0, recall = support ? tp / support : 0;
    return { label, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
  return { count: rows.length, accuracy: rows.length ? correct / rows.length : 0, macroF1: perClass.reduce((a, c) => a + c.f1, 0) / 4,
    logLoss: rows.length ? logLoss / rows.length : 0, labelNames: LABELS, perClass, confusionMatrix: cm };
}

function dataFile(p, preferred) {
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    const f = path.join(p, preferred);
    if (fs.existsSync(f)) return f;
    const any = fs.readdirSync(p).find((n) => n.endsWith('.csv'));
    if (any) return path.join(p, any);
    return null;
  }
  return fs.existsSync(p) ? p : null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withProgress(id, params, title, steps, work) {
  let token = params.workDoneToken;
  if (token === undefined && state.clientProgress) { token = `fake-${id}`; await request('window/workDoneProgress/create', { token }); }
  const progress = (value) => { if (token !== undefined) notify('$/progress', { token, value }); };
  progress({ kind: 'begin', title, cancellable: true, percentage: 0 });
  for (let i = 1; i <= steps; i++) {
    await sleep(250);
    if (cancelled.has(id) || (token !== undefined && cancelled.has(`token:${token}`))) {
      progress({ kind: 'end', message: 'cancelled' });
      throw Object.assign(new Error('cancelled'), { code: -32800 });
    }
    progress({ kind: 'report', message: `features ${i * 100}/${steps * 100}`, percentage: Math.round((i / steps) * 100) });
  }
  const r = work();
  progress({ kind: 'end', message: 'done' });
  return r;
}

async function handle(msg) {
  const { id, method, params = {} } = msg;
  if (method === undefined && id !== undefined) { const r = pending.get(id); pending.delete(id); if (r) r(msg.result); return; }
  if (method === 'initialize') {
    state.initialized = true;
    state.opts = params.initializationOptions || {};
    state.clientProgress = !!(params.capabilities && params.capabilities.window && params.capabilities.window.workDoneProgress);
    state.headPath = state.opts.headPath || null;
    log('initialize', JSON.stringify(state.opts));
    return reply(id, { capabilities: { hoverProvider: true, codeLensProvider: { resolveProvider: false }, textDocumentSync: 1, executeCommandProvider: { commands: ['agnews.classify', 'agnews.labelDocument', 'agnews.train', 'agnews.evaluate', 'agnews.status'] } },
      serverInfo: { name: 'agnews-fake', version: '0.0.0' } });
  }
  if (method === 'exit') process.exit(state.shutdown ? 0 : 1);
  if (id !== undefined && !state.initialized) return fail(id, -32002, 'server not initialized');
  if (id !== undefined && state.shutdown) return fail(id, -32600, 'shut down');
  switch (method) {
    case 'initialized': return;
    case 'shutdown': state.shutdown = true; return reply(id, null);
    case '$/cancelRequest': cancelled.add(params.id); return;
    case 'window/workDoneProgress/cancel': cancelled.add(`token:${params.token}`); return;
    case 'textDocument/didOpen': docs.set(params.textDocument.uri, params.textDocument.text); return;
    case 'textDocument/didChange': docs.set(params.textDocument.uri, params.contentChanges[params.contentChanges.length - 1].text); return;
    case 'textDocument/didClose': docs.delete(params.textDocument.uri); return;
    case 'workspace/didChangeConfiguration': return;
    case 'textDocument/hover': {
      const text = docs.get(params.textDocument.uri) || '';
      const line = params.position.line;
      const para = state.opts.hoverUnit === 'line' ? { text: text.split(/\r?\n/)[line] || '' }
        : paragraphs(text).find((p) => p.range.start.line <= line && line <= p.range.end.line);
      if (!para || (para.text.match(/\w/g) || []).length < 3) return reply(id, null);
      const p = classify(para.text);
      const lines = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])
        .map(([l, v]) => `${l.padEnd(9)} ${'█'.repeat(Math.round(v * 10)).padEnd(10, '░')} ${(v * 100).toFixed(1)}%`);
      return reply(id, { contents: { kind: 'markdown', value: `**${p.label}**\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`` } });
    }
    case 'textDocument/codeLens': {
      // As the real server: one text-only lens per paragraph, on its first line.
      const text = docs.get(params.textDocument.uri) || '';
      return reply(id, paragraphs(text).filter((p) => (p.text.match(/\w/g) || []).length >= 3).map((p) => {
        const c = classify(p.text);
        const line = p.range.start.line;
        return { range: { start: { line, character: 0 }, end: { line, character: 0 } },
          command: { title: `${c.label} ${Math.round(c.probabilities[c.label] * 100)}%`, command: '' } };
      }));
    }
    case 'workspace/executeCommand': return handle({ id, method: String(params.command).replace('agnews.', 'agnews/'), params: (params.arguments || [])[0] || {} });
    case 'agnews/classify': {
      const texts = params.texts || (params.text !== undefined ? [params.text] : null);
      if (!texts) return fail(id, -32003, 'text or texts is required');
      return reply(id, { predictions: texts.map(classify) });
    }
    case 'agnews/labelDocument': {
      let text = docs.get(params.uri);
      if (text === undefined && String(params.uri).startsWith('file:')) {
        try { text = fs.readFileSync(new URL(params.uri), 'utf8'); } catch { return fail(id, -32003, `file not found: ${params.uri}`); }
      }
      if (text === undefined) return fail(id, -32003, `document not open: ${params.uri}`);
      const res = { uri: params.uri, document: classify(text) };
      if (params.unit === 'paragraph') res.paragraphs = paragraphs(text).map((p) => ({ ...p, prediction: classify(p.text) }));
      return reply(id, res);
    }
    case 'agnews/status':
      return reply(id, { modelName: state.opts.modelPath ? path.basename(state.opts.modelPath) : 'fake-minilm', modelPath: state.opts.modelPath || '(embedded fake)', headPath: state.headPath, pooling: state.opts.pooling || 'mean',
        device: 'cpu', precision: 'fp32', maxTokens: state.opts.maxTokens || 256, cacheDirectory: os.tmpdir(), cachedFeatureFiles: 0, training: state.training, lastMetrics: state.lastMetrics,
        lastMetricsSource: state.lastMetricsSource ?? null });
    case 'agnews/train': {
      if (state.training) return fail(id, -32001, 'training already running');
      const file = params.dataPath && dataFile(params.dataPath, 'train.csv');
      if (!file) return fail(id, -32003, `no training data at ${params.dataPath}`);
      state.training = true;
      try {
        const rows = readCsv(file, params.limit || 2000);
        const nVal = Math.max(1, Math.floor(rows.length * (params.validationFraction || 0.1)));
        const result = await withProgress(id, params, 'Training head', 12, () => {
          const validation = report(rows.slice(rows.length - nVal));
          const epochs = params.maxEpochs || 6;
          const history = Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, trainLoss: 1.3 / (i + 1) + 0.2, trainAccuracy: Math.min(0.99, 0.5 + 0.08 * i),
            validationLoss: 1.35 / (i + 1) + 0.25, validationAccuracy: Math.min(validation.accuracy, 0.45 + 0.07 * i) }));
          const headPath = path.join(process.env.AGNEWS_CACHE || os.tmpdir(), `agnews-fake-head-${Date.now()}.json`);
          fs.writeFileSync(headPath, JSON.stringify({ fake: true, head: params.headKind || 'linear' }));
          return { headPath, trainCount: rows.length - nVal, validationCount: nVal, skippedRows: 0, featureSeconds: 2.5, trainSeconds: 0.5, validation, history };
        });
        state.headPath = result.headPath;
        state.lastMetrics = result.validation;
        state.lastMetricsSource = 'validation';
        return reply(id, result);
      } catch (e) {
        return fail(id, e.code || -32603, e.message);
      } finally { state.training = false; }
    }
    case 'agnews/evaluate': {
      const file = params.dataPath && dataFile(params.dataPath, 'test.csv');
      if (!file) return fail(id, -32003, `no data at ${params.dataPath}`);
      try {
        const r = await withProgress(id, params, 'Evaluating', 6, () => report(readCsv(file, params.limit || 0)));
        state.lastMetrics = r;
        state.lastMetricsSource = `evaluation: ${path.basename(file)}`;
        return reply(id, r);
      } catch (e) { return fail(id, e.code || -32603, e.message); }
    }
    default:
      if (id !== undefined) return fail(id, -32601, `method not found: ${method}`);
  }
}

let buf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const sep = buf.indexOf('\r\n\r\n');
    if (sep < 0) return;
    const m = /Content-Length:\s*(\d+)/i.exec(buf.slice(0, sep).toString('ascii'));
    const len = m ? Number(m[1]) : 0;
    if (buf.length < sep + 4 + len) return;
    const body = buf.slice(sep + 4, sep + 4 + len).toString('utf8');
    buf = buf.slice(sep + 4 + len);
    let msg;
    try { msg = JSON.parse(body); } catch { send({ id: null, error: { code: -32700, message: 'parse error' } }); continue; }
    Promise.resolve(handle(msg)).catch((e) => { log('error', e && e.stack); if (msg.id !== undefined) fail(msg.id, -32603, String(e)); });
  }
});
process.stdin.on('end', () => process.exit(state.shutdown ? 0 : 1));
log('started', process.argv.slice(2).join(' '));
