'use strict';
// Fuzz: a seeded stream of valid and broken frames from a small grammar, sent to the real stdio server.
// Every request with an id that can be answered must be answered exactly once, nothing may be answered
// twice or under an id that was never sent, and the server must still answer at the end.
// AGNEWS_FUZZ_SEED and AGNEWS_FUZZ_COUNT (5000) change the run.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnServer, frameReader, frame, initializeParams, withTimeout } = require('../lib/server');

const SEED = Number(process.env.AGNEWS_FUZZ_SEED || 20261130);
const COUNT = Number(process.env.AGNEWS_FUZZ_COUNT || 5000);

function prng(seed) { // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test(`fuzz: ${COUNT} seeded messages (seed ${SEED}); every answerable id answered once; the server survives`, { timeout: 300000 }, async () => {
  const random = prng(SEED);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const junk = (n) => Buffer.from(Array.from({ length: n }, () => pick('abcxyz{}[]":, 0123\t')).join(''), 'ascii');
  const s = spawnServer(['--stdio']);
  const reader = frameReader(s.proc.stdout);
  const expected = new Set(); // ids that must get exactly one answer
  const sent = new Set();      // every id sent in a frame that could be read as a request
  let nextId = 1;
  const chunks = [];
  const request = (method, params, answered = true) => {
    const id = nextId++;
    sent.add(id);
    if (answered) expected.add(id);
    return frame({ jsonrpc: '2.0', id, method, params });
  };
  const uri = (i) => `file:///fuzz/${i % 7}.txt`;
  // A request written as raw JSON text (for what JSON.stringify cannot write: lone surrogate escapes, deep nesting).
  const rawRequest = (body, lineEnd = '\r\n') => {
    const id = nextId++;
    sent.add(id);
    expected.add(id);
    const bytes = Buffer.from(body(id), 'utf8');
    return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}${lineEnd}${lineEnd}`, 'ascii'), bytes]);
  };
  const nested = (n) => '['.repeat(n) + ']'.repeat(n);
  const surrogate = () => pick(['\\ud800', '\\udfff', '\\ud83d', '\\ud83dx', '\\ud83d\\ud83d', '\\ude00\\ud83d']);

  chunks.push(frame({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams() }));
  chunks.push(frame({ jsonrpc: '2.0', method: 'initialized', params: {} }));
  const kinds = [
    // valid requests that need no model
    () => request('textDocument/hover', { textDocument: { uri: uri(nextId) }, position: { line: Math.floor(random() * 5), character: 0 } }),
    () => request('agnews/frobnicate', {}),
    () => request('agnews/classify', { text: 5 }),
    () => request('agnews/classify', { text: 'a\u0000b' }),
    () => request('agnews/train', { dataPath: '/dev/zero' }),
    () => request('agnews/labelDocument', { uri: 'file:///etc/passwd' }),
    () => request('workspace/executeCommand', { command: 'agnews.nope' }),
    () => request('initialize', initializeParams()),
    // notifications: never answered
    () => frame({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: uri(nextId), languageId: 'plaintext', version: 1, text: 'A short text.\n\nAnother paragraph here.' } } }),
    () => frame({ jsonrpc: '2.0', method: 'textDocument/didChange', params: { textDocument: { uri: uri(nextId), version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 2 }, end: { line: 1, character: 0 } }, text: 'x\r\n\n' }] } }),
    () => frame({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: uri(nextId) } } }),
    () => frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: Math.floor(random() * nextId) } }),
    () => frame({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: 7 }),
    // stray responses: ignored
    () => frame({ jsonrpc: '2.0', id: 100000 + nextId, result: null }),
    () => frame({ jsonrpc: '2.0', id: 'x', error: { code: 1, message: 'm' } }),
    // bodies that are not JSON-RPC: answered with id null
    () => frame(junk(1 + Math.floor(random() * 40))),
    () => frame(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])),
    () => frame('[1,2,3]'),
    () => frame({ jsonrpc: '2.0', id: null, method: 'x' }),
    () => frame({ jsonrpc: '2.0', id: [1], method: 'x' }),
    () => frame({ jsonrpc: '2.0', id: 1.5, method: 'x' }),
    () => frame({ jsonrpc: '2.0', method: 5 }),
    () => frame('{"jsonrpc":"2.0","id":' + '['.repeat(300) + ']'.repeat(300) + '}'),
    // issue 23: nesting around the depth limit, lone surrogate escapes, headers ended by bare LFs; each answered once
    () => rawRequest((id) => `{"jsonrpc":"2.0","id":${id},"method":"agnews/frobnicate","params":{"x":${nested(1 + Math.floor(random() * 80))}}}`),
    () => rawRequest((id) => `{"jsonrpc":"2.0","id":${id},"method":"agnews/${surrogate()}","params":{}}`),
    () => rawRequest((id) => `{"jsonrpc":"2.0","id":${id},"method":"agnews/classify","params":{"text":"a ${surrogate()} b"}}`),
    () => rawRequest((id) => `{"jsonrpc":"2.0","id":${id},"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///${surrogate()}"},"position":{"line":0,"character":0}}}`),
    () => frame(`{"jsonrpc":"2.0","id":"${surrogate()}","method":"agnews/status","params":{}}`), // no id to answer: id null
    () => frame(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///s","languageId":"x","version":1,"text":"${surrogate()}"}}}`),
    () => rawRequest((id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'agnews/frobnicate', params: {} }), pick(['\n', '\r\n'])),
    // broken headers: the junk that follows holds no header, so the next frame is read
    () => Buffer.concat([Buffer.from(pick(['Content-Type: x', 'Content-Length: abc', 'Content-Length: -3', 'Content-Length: 1\r\nContent-Length: 2', 'Content-Length: 12a', 'X']) + '\r\n\r\n', 'ascii'), junk(Math.floor(random() * 30))]),
    // junk glued before a good header: the frame after the junk is read (its junk body is answered with id null)
    () => Buffer.concat([junk(1 + Math.floor(random() * 20)), Buffer.from('Content-Length: 4\r\n\r\n', 'ascii'), junk(4)]),
    () => Buffer.from(`Content-Length: ${2 ** 40 + Math.floor(random() * 1000)}\r\n\r\n`, 'ascii'),
    // a body shorter than its length eats the start of the next frame: the next one is a notification
    () => Buffer.concat([Buffer.from('Content-Length: 40\r\n\r\n{"jsonrpc":"2.0"}', 'ascii'),
      frame({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: 'file:///sacrificed' } } })]),
    // a mutated valid frame: may or may not be answered, never twice
    () => {
      const id = 200000 + nextId++;
      sent.add(id);
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'textDocument/hover', params: { textDocument: { uri: 'file:///m' }, position: { line: 0, character: 0 } } }));
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      return frame(body);
    },
  ];
  const kindAt = [];
  for (let i = 0; i < COUNT; i++) { const k = Math.floor(random() * kinds.length); const before = nextId; chunks.push(kinds[k]()); kindAt.push([k, before, nextId]); }
  const probe = nextId++;
  chunks.push(frame({ jsonrpc: '2.0', id: probe, method: 'textDocument/hover', params: { textDocument: { uri: 'file:///probe' }, position: { line: 0, character: 0 } } }));

  const started = Date.now();
  try {
    for (const chunk of chunks) {
      if (!s.proc.stdin.write(chunk)) await new Promise((resolve) => s.proc.stdin.once('drain', resolve));
    }
    await reader.byId(probe, 240000);
    // answers to requests sent before the probe may still be on their way
    const deadline = Date.now() + 60000;
    while ([...expected].some((id) => !reader.messages.some((m) => m.id === id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    const answers = new Map();
    for (const m of reader.messages) {
      if (m.method || m.id === null || m.id === 0) continue;
      answers.set(m.id, (answers.get(m.id) || 0) + 1);
    }
    const missing = [...expected].filter((id) => !answers.has(id));
    const twice = [...answers].filter(([, n]) => n > 1).map(([id]) => id);
    const unknown = [...answers.keys()].filter((id) => !sent.has(id) && id !== probe);
    if (missing.length) {
      for (const id of missing) {
        const at = kindAt.findIndex(([, b, a]) => b <= id && id < a);
        console.log('# missing', id, 'kinds before:', kindAt.slice(Math.max(0, at - 3), at + 1).map((x) => x[0]).join(','));
      }
    }
    assert.deepEqual(missing, [], 'requests never answered');
    assert.deepEqual(twice, [], 'ids answered more than once');
    assert.deepEqual(unknown, [], 'answers to ids never sent');
    assert.equal(s.proc.exitCode, null, 'the server is still running');
    assert.doesNotMatch(s.stderr(), /Unhandled exception|crit:/);
    console.log(`# fuzz: ${COUNT} messages, ${expected.size} answerable requests, ${reader.messages.length} messages back in ${Date.now() - started} ms`);
  } finally {
    s.proc.stdin.end();
    await withTimeout(s.exited, 15000, 'exit').catch(() => s.proc.kill('SIGKILL'));
  }
});
