'use strict';
// Benchmark (not a test): hover latency p50/p95 of the real server with the embedded default, idle and
// while a training run is going, plus agnews/classify throughput for batches of AG News test texts.
// Usage: node bench/hover-latency.js --data ../../../shared/data/ag_news [--hovers 200] [--out FILE.json]
//          [--head-kind hybrid|hybrid+layers|...]   the kind of the head hovered (trained first on 1,000 rows; one epoch
//                                                   for hybrid+layers, whose hovers cost what the shipped head's do)
//          [--during-kind hybrid|hybrid+layers]     the training run the second round of hovers waits beside: hybrid
//                                                   extracts features for 6,000 new rows; hybrid+layers trains its layers
//                                                   on the 1,000 rows whose features are cached (hovers start after 8 s,
//                                                   once its states are computed, so they meet the epochs)
// The server is found as in the tests (AGNEWS_SERVER_DLL, default: the Debug build); use a Release build.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startStdio, initializeParams, withTimeout, stop } = require('../lib/server');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const dataDir = path.resolve(arg('data', path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'ag_news')));
const hovers = Number(arg('hovers', 200));
const out = arg('out', null);
const headKind = arg('head-kind', 'hybrid');
const duringKind = arg('during-kind', 'hybrid');

/** Canonical AG News CSV rows: "class","title","description" -> title + " " + description. */
function readAgNews(file, limit) {
  const texts = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^"(\d)","((?:[^"]|"")*)","((?:[^"]|"")*)"$/.exec(line.trimEnd());
    if (m) texts.push(`${m[2]} ${m[3]}`.replace(/""/g, '"'));
    if (texts.length >= limit) break;
  }
  return texts;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { count: ms.length, p50: +percentile(sorted, 50).toFixed(1), p95: +percentile(sorted, 95).toFixed(1), max: +sorted[sorted.length - 1].toFixed(1) };
}

let edits = 0;
/** Hovers `count` times; before each, an edit makes the paragraph's text new, so no hover is answered from the
 *  server's prediction cache and each one runs the encoder (what a user typing sees). */
async function hoverRound(s, uris, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const uri = uris[i % uris.length];
    edits++;
    await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 1 + edits },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: `edit${edits} ` }] });
    const start = process.hrtime.bigint();
    const result = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 3 } });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!result) throw new Error(`no hover for ${uri}`);
  }
  return times;
}

(async () => {
  const texts = readAgNews(path.join(dataDir, 'test.csv'), 2400);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-hover-bench-'));
  const headPath = path.join(cache, 'bench-head.json');
  // A copy of the shipped default head, so training during the benchmark never touches a real one.
  const s = startStdio(['--stdio'], { AGNEWS_CACHE: process.env.AGNEWS_CACHE || cache });
  try {
    await withTimeout(s.connection.sendRequest('initialize', initializeParams({ headPath })), 60000, 'initialize');
    await s.connection.sendNotification('initialized', {});
    const uris = [];
    for (let i = 0; i < 50; i++) {
      const uri = `file:///bench/doc${i}.txt`;
      uris.push(uri);
      await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'plaintext', version: 1, text: texts[i] } });
    }
    // The head file does not exist yet: train a small one first so hovers have a head (and warm up).
    const trainSmall = await s.connection.sendRequest('agnews/train',
      { dataPath: path.join(dataDir, 'train.csv'), limit: 1000, headKind, ...(headKind === 'hybrid+layers' ? { maxEpochs: 1 } : {}) });
    await hoverRound(s, uris, 20);

    const idle = await hoverRound(s, uris, hovers);

    // Throughput of agnews/classify for batches of texts.
    const throughput = [];
    for (const [b, batch] of [1, 16, 64, 256].entries()) {
      const rounds = Math.max(1, Math.floor(512 / batch));
      const start = process.hrtime.bigint();
      for (let r = 0; r < rounds; r++) {
        const from = 100 + b * 512 + r * batch; // texts not classified before: none is answered from the cache
        const slice = texts.slice(from, from + batch);
        await s.connection.sendRequest('agnews/classify', { texts: slice });
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      throughput.push({ batch, texts: rounds * batch, textsPerSecond: +((rounds * batch) / seconds).toFixed(1) });
    }

    // Hovers while a training run extracts features for texts the cache has not seen.
    const layers = duringKind === 'hybrid+layers';
    const training = s.connection.sendRequest('agnews/train',
      { dataPath: path.join(dataDir, 'train.csv'), limit: layers ? 1000 : 6000, headKind: duringKind, ...(layers ? { maxEpochs: 4 } : {}) });
    await new Promise((r) => setTimeout(r, layers ? 8000 : 500));
    const during = await hoverRound(s, uris, hovers);
    const trained = await training;

    const result = {
      machine: `${os.cpus()[0].model}, ${os.cpus().length} cores`,
      date: new Date().toISOString(),
      hoverIdleMs: summary(idle),
      hoverDuringTrainingMs: summary(during),
      classifyThroughput: throughput,
      trainingDuringHovers: { headKind: trained.headKind, rows: trained.trainCount + trained.validationCount, featureSeconds: trained.featureSeconds, trainSeconds: trained.trainSeconds },
      warmupTraining: { rows: trainSmall.trainCount + trainSmall.validationCount, headKind: trainSmall.headKind },
    };
    console.log(JSON.stringify(result, null, 2));
    if (out) fs.writeFileSync(out, JSON.stringify(result, null, 2));
  } finally {
    await stop(s);
    fs.rmSync(cache, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
