'use strict';
// Issue 23, items 9 and 10, against the real process: work never waits on a client that does not answer, and a
// cancel lands within a second while training waits for a progress token or while a folder walk finds nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnServer, initializeParams, withTimeout, frameReader, frame, engineAvailable, ENGINE_TIMEOUT_MS } = require('../lib/server');

/** A stdio server driven with raw frames; this client answers nothing the server asks. */
async function silentClient(extra = {}) {
  const s = spawnServer(['--stdio']);
  const reader = frameReader(s.proc.stdout);
  const send = (message) => s.proc.stdin.write(frame(message));
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { ...initializeParams(), ...extra } });
  await reader.byId(1);
  send({ jsonrpc: '2.0', method: 'initialized', params: {} });
  return { ...s, reader, send };
}

async function end(s) {
  s.proc.stdin.end();
  await withTimeout(s.exited, 15000, 'exit').catch(() => s.proc.kill('SIGKILL'));
}

test('a train whose progress create is never answered is cancelled within a second, and training is over', { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-h23-'));
  const data = path.join(dir, 'train.csv');
  const source = process.env.AGNEWS_NODE_TRAIN_DATA || path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'ag_news', 'train.csv');
  fs.writeFileSync(data, fs.readFileSync(source, 'utf8').split('\n').slice(0, 400).join('\n') + '\n');
  const s = await silentClient();
  try {
    s.send({ jsonrpc: '2.0', id: 2, method: 'agnews/status', params: {} }); // loads the engine first
    await s.reader.byId(2, ENGINE_TIMEOUT_MS);
    s.send({ jsonrpc: '2.0', id: 3, method: 'agnews/train', params: { dataPath: data } });
    await s.reader.next((m) => m.method === 'window/workDoneProgress/create', 30000, 'create request'); // never answered
    const cancelled = Date.now();
    s.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 3 } });
    const answer = await s.reader.byId(3, 10000);
    const ms = Date.now() - cancelled;
    console.log(`# train cancelled ${ms} ms after $/cancelRequest, its create request unanswered`);
    assert.equal(answer.error.code, -32800);
    assert.ok(ms < 1000, `cancel took ${ms} ms`);
    s.send({ jsonrpc: '2.0', id: 4, method: 'agnews/status', params: {} });
    assert.equal((await s.reader.byId(4, 10000)).result.training, false);
  } finally {
    await end(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('agnews/labelFolder answers a cancel within a second while its walk finds nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-h23-'));
  const out = path.join(dir, 'labels.csv');
  const s = await silentClient({ workspaceFolders: [{ uri: 'file:///usr', name: 'usr' }, { uri: `file://${dir}`, name: 'out' }], capabilities: {} });
  try {
    s.send({ jsonrpc: '2.0', id: 2, method: 'agnews/labelFolder', params: { folder: '/usr', include: ['**/*.nomatch'], output: out } });
    await new Promise((r) => setTimeout(r, 300));
    const cancelled = Date.now();
    s.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 2 } });
    const answer = await s.reader.byId(2, 30000);
    const ms = Date.now() - cancelled;
    console.log(`# labelFolder of /usr cancelled ${ms} ms after $/cancelRequest`);
    if (answer.result) return; // the walk ended before the cancel came: nothing to measure on this machine
    assert.equal(answer.error.code, -32800);
    assert.ok(ms < 1000, `cancel took ${ms} ms`);
    assert.ok(!fs.existsSync(out), 'a cancelled run leaves no output');
  } finally {
    await end(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
