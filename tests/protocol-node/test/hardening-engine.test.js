'use strict';
// Issue 23 against the real process, for the requests that run on the engine: a client that never answers
// window/workDoneProgress/create cannot hold a train, an evaluate or a folder walk, and a cancel of a folder walk
// lands while it walks. Needs a server whose engine loads (the embedded model); AGNEWS_CACHE isolates its cache.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnServer, initializeParams, withTimeout, frameReader, frame, engineAvailable, ENGINE_TIMEOUT_MS } = require('../lib/server');

const skip = engineAvailable ? false : 'AGNEWS_NODE_ENGINE=0: no engine in this build';
const agNews = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'ag_news');
/** The bound for a cancel to be answered is 1 s; this leaves room for a loaded 2-core CI machine. */
const CANCEL_BOUND_MS = 2000;

/** A stdio server driven with raw frames: it answers no request of the server's (this client forgets them). */
async function raw(params) {
  const s = spawnServer(['--stdio']);
  const reader = frameReader(s.proc.stdout);
  const send = (message) => s.proc.stdin.write(frame(message));
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params });
  await reader.byId(1, 30000);
  send({ jsonrpc: '2.0', method: 'initialized', params: {} });
  return { ...s, reader, send };
}

async function end(s) {
  s.proc.stdin.end();
  await withTimeout(s.exited, 15000, 'exit').catch(() => s.proc.kill('SIGKILL'));
}

/** Sends $/cancelRequest for `id` and returns its answer and how long it took to come. */
async function cancel(s, id) {
  const started = Date.now();
  s.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } });
  const reply = await s.reader.byId(id, 30000);
  return { reply, ms: Date.now() - started };
}

function tempFolder() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-hardening-engine-'));
}

/** The first rows of the shared AG News train split, as a file of their own. */
function smallTrainFile(dir, rows) {
  const file = path.join(dir, 'train.csv');
  const lines = fs.readFileSync(path.join(agNews, 'train.csv'), 'utf8').split('\n').slice(0, rows);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('a create request the client never answers holds no work: train, evaluate and labelFolder start, report nothing, and a cancel ends them',
  { skip, timeout: ENGINE_TIMEOUT_MS * 2 }, async () => {
    const dir = tempFolder();
    const data = smallTrainFile(dir, 2000);
    const s = await raw({ ...initializeParams(), workspaceFolders: [{ uri: `file://${dir}`, name: 'tmp' }, { uri: 'file:///usr', name: 'usr' }] });
    try {
      const requests = [
        ['agnews/train', { dataPath: data, maxPasses: 1 }],
        ['agnews/evaluate', { dataPath: data }],
        ['agnews/labelFolder', { folder: '/usr', include: ['**/*.nomatch'], output: path.join(dir, 'labels.csv') }],
      ];
      let id = 10;
      for (const [method, params] of requests) {
        for (const waitMs of [0, 700]) { // at once, and once the work is under way (a walk of /usr takes a few seconds)
          const creates = s.reader.messages.filter((m) => m.method === 'window/workDoneProgress/create').length;
          s.send({ jsonrpc: '2.0', id, method, params });
          await s.reader.next((m) => m.method === 'window/workDoneProgress/create' && s.reader.messages.filter((x) => x.method === m.method).length > creates,
            ENGINE_TIMEOUT_MS, `${method}: create request`);
          await new Promise((resolve) => setTimeout(resolve, waitMs));
          const { reply, ms } = await cancel(s, id);
          assert.equal(reply.error && reply.error.code, -32800, `${method} after ${waitMs} ms: ${JSON.stringify(reply)}`);
          assert.ok(ms < CANCEL_BOUND_MS, `${method} cancelled after ${waitMs} ms was answered in ${ms} ms`);
          console.log(`${method}: cancel ${waitMs} ms after the unanswered create, answered in ${ms} ms`);
          id++;
        }
      }
      // No $/progress for a token the client never confirmed.
      assert.ok(!s.reader.messages.some((m) => m.method === '$/progress'), 'no progress on an unconfirmed token');
      s.send({ jsonrpc: '2.0', id: 90, method: 'agnews/status', params: {} });
      assert.equal((await s.reader.byId(90, 10000)).result.training, false);
      assert.ok(!fs.existsSync(path.join(dir, 'labels.csv')), 'a cancelled labelFolder writes no output');
    } finally {
      await end(s);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('a labelFolder walk that matches nothing answers a cancel while it walks',
  { skip, timeout: ENGINE_TIMEOUT_MS * 2 }, async () => {
    const dir = tempFolder();
    // No work-done progress: nothing but the walk stands between the cancel and its answer.
    const s = await raw({ ...initializeParams({}, false), workspaceFolders: [{ uri: `file://${dir}`, name: 'tmp' }, { uri: 'file:///usr', name: 'usr' }] });
    try {
      s.send({ jsonrpc: '2.0', id: 2, method: 'agnews/classify', params: { text: 'The team won the cup.' } });
      assert.ok((await s.reader.byId(2, ENGINE_TIMEOUT_MS)).result, 'the engine loads');
      let id = 10;
      for (const waitMs of [200, 600, 1000]) {
        const output = path.join(dir, `labels-${id}.csv`);
        s.send({ jsonrpc: '2.0', id, method: 'agnews/labelFolder', params: { folder: '/usr', include: ['**/*.nomatch'], output } });
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        const { reply, ms } = await cancel(s, id);
        assert.equal(reply.error && reply.error.code, -32800, `cancel after ${waitMs} ms: ${JSON.stringify(reply)}`);
        assert.ok(ms < CANCEL_BOUND_MS, `cancel after ${waitMs} ms answered in ${ms} ms`);
        assert.ok(!fs.existsSync(output), 'a cancelled walk writes no output');
        console.log(`labelFolder /usr: cancel after ${waitMs} ms answered in ${ms} ms`);
        id++;
      }
    } finally {
      await end(s);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
