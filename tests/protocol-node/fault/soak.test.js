'use strict';
// Soak: 10,000 mixed requests and notifications, pipelined, against the real stdio server. Every id is answered
// exactly once, and the resident memory after the run (a large document opened and closed on the way) is within
// 10% of what it was after warm-up. AGNEWS_SOAK_COUNT (10000) changes the run.
//
// The warm-up opens, hovers and closes a document of 11 M characters (about the largest kept, maxDocumentChars):
// the runtime's shared buffer pool (System.Buffers.ArrayPool) keeps the buffers that parsing its message took, one
// set per thread that touched it, for reuse rather than giving them back. That cost is bounded and paid once; what
// this test guards against is growth: memory that 10,000 more requests and another large document (2 M characters,
// mid-run) do not give back. Between bursts the server collects when idle (IdleMemoryReclaimer), and both
// measurements are taken after such a pause.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawnServer, frameReader, frame, initializeParams, withTimeout, engineAvailable } = require('../lib/server');

const COUNT = Number(process.env.AGNEWS_SOAK_COUNT || 10000);
const WARMUP = Math.min(1000, Math.floor(COUNT / 10));
const WINDOW = 64;

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test(`soak: ${COUNT} mixed requests; each id answered once; RSS back within 10%`, { timeout: 600000 }, async () => {
  const s = spawnServer(['--stdio']);
  const reader = frameReader(s.proc.stdout);
  const answers = new Map();
  s.proc.stdout.on('data', () => {}); // reader keeps the messages; counted below
  const send = (m) => s.proc.stdin.write(frame(m));
  const doc = 'The Lakers beat the Celtics in overtime as the crowd roared.\n\nShares of the bank fell after profit missed forecasts.\n\nok\n';
  let id = 1;
  const request = (method, params) => { const n = id++; send({ jsonrpc: '2.0', id: n, method, params }); return n; };
  const mixed = (i) => {
    const uri = `file:///soak/${i % 20}.txt`;
    const r = (i * 7919) % 100;
    if (r < 8) { send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'plaintext', version: i, text: doc } } }); return null; }
    if (r < 12) { send({ jsonrpc: '2.0', method: 'textDocument/didChange', params: { textDocument: { uri, version: i }, contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 2 } }, text: 'ok' }] } }); return null; }
    if (r < 14) { send({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } }); return null; }
    if (engineAvailable && r < 19) return request('textDocument/hover', { textDocument: { uri }, position: { line: r % 2 === 0 ? 0 : 2, character: 3 } });
    if (engineAvailable && r < 21) return request('agnews/classify', { texts: ['Oil prices rose.', 'The team won the cup.'] });
    if (engineAvailable && r < 25) return request('agnews/status', {});
    if (r < 60) return request('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 0 } });
    if (r < 70) return request('agnews/classify', { text: 'a\u0000b' });
    if (r < 80) return request('agnews/frobnicate', {});
    if (r < 90) return request('agnews/labelDocument', { uri: 'file:///etc/hostname' });
    const n = request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 1 } });
    send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: n } });
    return n;
  };
  const sent = [];
  const answered = () => reader.messages.reduce((k, m) => k + (m.id !== undefined && m.id !== null && !m.method ? 1 : 0), 0);
  const run = async (from, to) => {
    for (let i = from; i < to; i++) {
      const n = mixed(i);
      if (n !== null) sent.push(n);
      while (sent.length - answered() > WINDOW) await sleep(2);
    }
    const deadline = Date.now() + 120000;
    while (answered() < sent.length && Date.now() < deadline) await sleep(20);
  };
  const document = (paragraphs) => Array.from({ length: paragraphs }, (_, i) => `Paragraph ${i}: markets moved as investors weighed the news today.\n`).join('\n');
  const bigDocument = async (paragraphs) => { // opens, hovers and closes it; the RSS while it was open
    const big = document(paragraphs);
    send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///soak/big.txt', languageId: 'plaintext', version: 1, text: big } } });
    const hovers = [];
    for (let k = 0; k < 20; k++) hovers.push(request('textDocument/hover', { textDocument: { uri: 'file:///soak/big.txt' }, position: { line: Math.floor((k * paragraphs) / 10), character: 2 } }));
    sent.push(...hovers);
    for (const n of hovers) await reader.byId(n, 120000);
    const rss = rssMiB(s.proc.pid);
    send({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: 'file:///soak/big.txt' } } });
    return rss;
  };
  try {
    const init = request('initialize', initializeParams());
    sent.push(init);
    await reader.byId(init, 60000);
    send({ jsonrpc: '2.0', method: 'initialized', params: {} });
    const started = Date.now();
    await run(0, WARMUP);
    if (engineAvailable) {
      // The model and head load in the background; on a busy machine that can outlast the warm-up, and the
      // baseline must include them, not only the requests that fail without an engine.
      const warm = request('agnews/classify', { text: 'The engine is loaded before the baseline is taken.' });
      sent.push(warm);
      await reader.byId(warm, 120000);
    }
    await bigDocument(160000); // ~11 M characters
    await sleep(2000);
    const rssStart = rssMiB(s.proc.pid);
    await run(WARMUP, Math.floor(COUNT / 2));
    // a large document comes and goes in the middle of the run
    const rssBig = await bigDocument(30000); // ~2 M characters
    await run(Math.floor(COUNT / 2), COUNT);
    await sleep(2000);
    const rssEnd = rssMiB(s.proc.pid);

    for (const m of reader.messages) if (!m.method && m.id !== null && m.id !== undefined) answers.set(m.id, (answers.get(m.id) || 0) + 1);
    const missing = sent.filter((n) => !answers.has(n));
    const twice = [...answers].filter(([, k]) => k > 1).map(([n]) => n);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} ids never answered`);
    assert.deepEqual(twice.slice(0, 10), [], 'ids answered more than once');
    assert.equal(answers.size, sent.length);
    assert.equal(s.proc.exitCode, null);
    console.log(`# soak: ${COUNT} messages, ${sent.length} requests in ${Date.now() - started} ms; RSS ${rssStart.toFixed(0)} MiB after warm-up, ${rssBig.toFixed(0)} with the large document, ${rssEnd.toFixed(0)} at the end`);
    assert.ok(rssEnd <= rssStart * 1.1, `RSS ${rssEnd.toFixed(0)} MiB at the end, ${rssStart.toFixed(0)} MiB after warm-up`);
  } finally {
    s.proc.stdin.end();
    await withTimeout(s.exited, 30000, 'exit').catch(() => s.proc.kill('SIGKILL'));
  }
});
