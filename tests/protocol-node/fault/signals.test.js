'use strict';
// Issue 23, item 11: SIGTERM and SIGHUP during a CLI command are handled as Ctrl+C (SIGINT): the work is cancelled,
// temp files are removed, nothing already saved changes, exit 130 (docs/security.md, "Signals").
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serverCommand, withTimeout, engineAvailable, ENGINE_TIMEOUT_MS } = require('../lib/server');

const cache = process.env.AGNEWS_CACHE || fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-signals-cache-'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-signals-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));
const agNews = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'ag_news');

/** Starts `agnews ARGS`; resolves `exited` with { code, signal }; `stderr()` so far. */
function start(args) {
  const { command, args: base } = serverCommand([]);
  const proc = spawn(command, [...base.slice(0, base.indexOf('serve')), ...args, '--cache', cache], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, stderr: () => stderr };
}

/** Polls (a hang guard, not a timing assertion) until `ready()` holds or the process ends. */
async function until(run, ready, what) {
  const deadline = Date.now() + 120000;
  let ended = false;
  run.exited.then(() => { ended = true; });
  while (!ready()) {
    if (ended) throw new Error(`ended before ${what}: ${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} in 120 s: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const temps = (folder) => fs.readdirSync(folder).filter((n) => n.endsWith('.tmp'));

/** A folder of texts large enough that labelling it takes a while on 2 cores. */
const texts = path.join(work, 'texts');
fs.mkdirSync(texts);
for (let i = 0; i < 4000; i++) fs.writeFileSync(path.join(texts, `t${i}.txt`), `Report ${i}: shares of the bank fell after it cut its dividend, and the striker scored twice in the final.`);

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT']) {
  test(`${signal} during label --out: exit 130, no temp file, the old output kept`, { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS }, async () => {
    const out = fs.mkdtempSync(path.join(work, 'out-'));
    fs.writeFileSync(path.join(out, 'rows.csv'), 'old');
    const run = start(['label', texts, '--recursive', '--out', path.join(out, 'rows.csv'), '--quiet']);
    await until(run, () => temps(out).length > 0, 'temp file');
    run.proc.kill(signal);
    const exit = await withTimeout(run.exited, 60000, `exit after ${signal}`);
    assert.deepEqual(exit, { code: 130, signal: null }, run.stderr());
    assert.match(run.stderr(), /cancelled/);
    assert.deepEqual(temps(out), []);
    assert.equal(fs.readFileSync(path.join(out, 'rows.csv'), 'utf8'), 'old');
  });
}

test('SIGTERM during train: exit 130, no head written', { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS }, async () => {
  const out = fs.mkdtempSync(path.join(work, 'head-'));
  const head = path.join(out, 'head.json');
  const run = start(['train', '--data', path.join(agNews, 'train.csv'), '--limit', '20000', '--head-kind', 'linear', '--out', head]);
  await until(run, () => /\d+\/\d+/.test(run.stderr()), 'training progress');
  run.proc.kill('SIGTERM');
  const exit = await withTimeout(run.exited, 60000, 'exit after SIGTERM');
  assert.deepEqual(exit, { code: 130, signal: null }, run.stderr());
  assert.deepEqual(fs.readdirSync(out), []);
});

test('SIGTERM during embed --out: exit 130, no temp file', { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS }, async () => {
  const out = fs.mkdtempSync(path.join(work, 'embed-'));
  const lines = path.join(work, 'lines.txt');
  fs.writeFileSync(lines, Array.from({ length: 20000 }, (_, i) => `Line ${i} about oil prices, elections and a new telescope.`).join('\n'));
  const run = start(['embed', lines, '--lines', '--out', path.join(out, 'v.npy')]);
  await until(run, () => temps(out).length > 0, 'temp file');
  run.proc.kill('SIGTERM');
  const exit = await withTimeout(run.exited, 60000, 'exit after SIGTERM');
  assert.deepEqual(exit, { code: 130, signal: null }, run.stderr());
  assert.deepEqual(fs.readdirSync(out), []);
});
