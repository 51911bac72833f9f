'use strict';
// Issue 21, item 1: appends to the corrections file are crash-safe. The real server is sent corrections as fast as it
// takes them and killed with -9 at seeded points; after each kill every complete line of .agnews/labels.jsonl parses,
// every correction the server acknowledged is there, and the next server repairs a torn last line on its next append.
// AGNEWS_KILL_RUNS (4) and AGNEWS_KILL_SEED change the run.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { startStdio, initializeParams, withTimeout, engineAvailable, ENGINE_TIMEOUT_MS } = require('../lib/server');

const RUNS = Number(process.env.AGNEWS_KILL_RUNS || 4);
const SEED = Number(process.env.AGNEWS_KILL_SEED || 21);

/** Every line that ends in a newline parses as a correction; returns those rows and whether a torn line follows. */
function readDataset(file) {
  if (!fs.existsSync(file)) return { rows: [], torn: false };
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const torn = lines[lines.length - 1] !== '';
  const rows = lines.slice(0, -1).filter((l) => l.trim() !== '').map((l, i) => {
    try { return JSON.parse(l); } catch (e) { throw new Error(`line ${i + 1} of ${file} does not parse: ${l.slice(0, 80)}`); }
  });
  for (const row of rows) assert.ok(typeof row.text === 'string' && typeof row.label === 'string', JSON.stringify(row));
  return { rows, torn };
}

async function session(workspace, document) {
  const s = startStdio(['--stdio', '--cache', process.env.AGNEWS_CACHE || path.join(os.tmpdir(), 'agnews-teach-kill-cache')]);
  const params = initializeParams();
  params.workspaceFolders = [{ uri: pathToFileURL(workspace).href, name: 'w' }];
  await withTimeout(s.connection.sendRequest('initialize', params), ENGINE_TIMEOUT_MS, 'initialize');
  s.connection.sendNotification('initialized', {});
  s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL(document).href, languageId: 'markdown', version: 1, text: fs.readFileSync(document, 'utf8') } });
  return s;
}

test(`kill -9 while corrections are appended (${RUNS} seeded points): every complete line parses, nothing acknowledged is lost`,
  { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS * 3 }, async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-teach-kill-'));
    const document = path.join(workspace, 'notes.md');
    const paragraphs = Array.from({ length: 400 }, (_, i) => `Paragraph ${i}: the council voted on the budget and ${['shares rose', 'the team won', 'a chip shipped', 'talks resumed'][i % 4]} on day ${i}.`);
    fs.writeFileSync(document, paragraphs.join('\n\n') + '\n');
    const dataset = path.join(workspace, '.agnews', 'labels.jsonl');
    const uri = pathToFileURL(document).href;
    let state = SEED >>> 0;
    const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296);
    const labels = ['World', 'Sports', 'Business', 'Sci/Tech', 'Local'];
    const acknowledged = new Map(); // text -> label the server said it wrote
    try {
      let next = 0;
      for (let run = 0; run < RUNS; run++) {
        const s = await session(workspace, document);
        // warm: the first correction waits for the model, then the kill lands among fast appends
        const first = await withTimeout(s.connection.sendRequest('agnews/correct', { label: 'World', textDocument: { uri }, position: { line: next * 2, character: 0 } }), ENGINE_TIMEOUT_MS, 'first correction');
        acknowledged.set(first.text, first.label);
        next++;
        // Kill once a seeded number of this session's corrections were acknowledged: the others are being written.
        const killAfter = 1 + Math.floor(random() * 30);
        let acked = 0;
        const inFlight = [];
        const last = Math.min(next + 60, paragraphs.length - 1); // room for the sessions after this one
        for (; next < last; next++) {
          const label = labels[Math.floor(random() * labels.length)];
          inFlight.push(s.connection.sendRequest('agnews/correct', { label, textDocument: { uri }, position: { line: next * 2, character: 0 } })
            .then((r) => { acknowledged.set(r.text, r.label); acked++; }, () => {}));
        }
        const deadline = Date.now() + ENGINE_TIMEOUT_MS;
        while (acked < killAfter && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        s.proc.kill('SIGKILL');
        await s.exited;
        s.connection.dispose(); // requests still in flight are rejected: they were never acknowledged
        await Promise.allSettled(inFlight);
        const { rows } = readDataset(dataset);
        const written = new Map(rows.map((r) => [r.text, r.label]));
        for (const [text, label] of acknowledged) assert.equal(written.get(text), label, `acknowledged "${text.slice(0, 30)}" as ${label} but the file has ${written.get(text)}`);
      }
      // A torn last line (if the kill left one) is ignored, and cut off by the next append.
      fs.appendFileSync(dataset, '{"text":"a write that was killed midway","lab');
      const s = await session(workspace, document);
      const r = await withTimeout(s.connection.sendRequest('agnews/correct', { label: 'Sports', text: 'The striker scored twice in the cup final.' }), ENGINE_TIMEOUT_MS, 'correction after a torn line');
      assert.equal(r.label, 'Sports');
      s.proc.kill('SIGKILL');
      await s.exited;
      s.connection.dispose();
      const after = readDataset(dataset);
      assert.equal(after.torn, false);
      assert.ok(after.rows.some((row) => row.text === 'The striker scored twice in the cup final.'));
      assert.ok(!after.rows.some((row) => row.text.includes('killed midway')));
      console.log(`# teach kill -9: ${acknowledged.size} corrections acknowledged over ${RUNS} killed sessions, ${after.rows.length} rows, every line parses`);
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });
