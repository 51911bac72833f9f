'use strict';
// The command line against special files: each ends at once with exit 1 and a clear message, in bounded memory;
// --out and --tokenFile over a FIFO, a link, a folder and an existing file (docs/security.md: what --out does, the token file).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serverCommand, spawnServer, startTcp, withTimeout, engineAvailable, ENGINE_TIMEOUT_MS } = require('../lib/server');

/** Runs `agnews ARGS` (the same build the server tests use) under /usr/bin/time; returns status, stderr and peak RSS in MiB. */
function agnews(args, input) {
  const { command, args: base } = serverCommand([]);
  const cli = [...base.slice(0, base.indexOf('serve')), ...args];
  const r = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M', command, ...cli], { input, encoding: 'utf8', timeout: 120000, maxBuffer: 1 << 26 });
  const rss = Number((/peak-rss-kb (\d+)/.exec(r.stderr) || [])[1] || 0) / 1024;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, rssMiB: rss };
}

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-special-cli-'));
test.after(() => fs.rmSync(cache, { recursive: true, force: true }));

for (const [what, args] of [
  ['train --data /dev/zero', ['train', '--data', '/dev/zero']],
  ['evaluate --data /dev/zero', ['evaluate', '--data', '/dev/zero']],
  ['train --data /dev/stdin', ['train', '--data', '/dev/stdin']],
  ['label /dev/zero', ['label', '/dev/zero']],
]) {
  test(`agnews ${what}: refused at once`, () => {
    const r = agnews([...args, '--quiet', '--cache', cache]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /not a regular file/);
    assert.ok(r.rssMiB < 400, `peak RSS ${r.rssMiB} MiB`);
  });
}

test('agnews train --data FIFO: refused without waiting for a writer', () => {
  const fifo = path.join(cache, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const r = agnews(['train', '--data', fifo, '--quiet', '--cache', cache]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /not a regular file/);
});

test('agnews classify - </dev/zero: cut off at the text limit, in bounded memory', () => {
  const zero = fs.openSync('/dev/zero', 'r');
  try {
    const { command, args: base } = serverCommand([]);
    const cli = [...base.slice(0, base.indexOf('serve')), 'classify', '-', '--quiet', '--cache', cache];
    const r = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M', command, ...cli], { stdio: [zero, 'pipe', 'pipe'], encoding: 'utf8', timeout: 120000 });
    const rss = Number(/peak-rss-kb (\d+)/.exec(r.stderr)[1]) / 1024;
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /too large/);
    assert.equal(r.stdout, '');
    assert.ok(rss < 400, `peak RSS ${rss} MiB`);
  } finally {
    fs.closeSync(zero);
  }
});

test('agnews classify - with NUL bytes: refused like the server refuses them', () => {
  const r = agnews(['classify', '-', '--quiet', '--cache', cache], 'Stocks rose\u0000 today.');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /NUL/);
});

test('agnews --threads outside 1..cores is a usage error', () => {
  assert.equal(agnews(['--threads', '1000', 'classify', 'The match ended in a draw.']).status, 2);
  assert.equal(agnews(['classify', '--threads', '0', 'The match ended in a draw.']).status, 2);
});

/** A folder with one text to label, and a fresh output folder. */
function labelFixture() {
  const root = fs.mkdtempSync(path.join(cache, 'out-'));
  fs.mkdirSync(path.join(root, 'in'));
  fs.writeFileSync(path.join(root, 'in', 'a.txt'), 'The striker scored twice as the home team won the league match.');
  fs.mkdirSync(path.join(root, 'out'));
  return { input: path.join(root, 'in'), out: (name) => path.join(root, 'out', name), outFolder: path.join(root, 'out') };
}

const labelTo = (input, out) => ['label', input, '--recursive', '--format', 'csv', '--out', out, '--quiet', '--cache', cache];
const engineTest = { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS };

test('label --out FIFO: the rows are written through it; it stays a FIFO', engineTest, async () => {
  const f = labelFixture();
  const fifo = f.out('rows.csv');
  execFileSync('mkfifo', [fifo]);
  const { command, args: base } = serverCommand([]);
  const cli = require('node:child_process').spawn(command, [...base.slice(0, base.indexOf('serve')), ...labelTo(f.input, fifo)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => cli.on('exit', resolve));
  const rows = await withTimeout(new Promise((resolve, reject) => {
    let text = '';
    fs.createReadStream(fifo, 'utf8').on('data', (d) => { text += d; }).on('end', () => resolve(text)).on('error', reject);
  }), 120000, 'rows through the FIFO');
  assert.equal(await withTimeout(exited, 60000, 'agnews exit'), 0);
  assert.match(rows, /^file,unit,[^\n]*\na\.txt,document,/);
  assert.ok(fs.lstatSync(fifo).isFIFO());
  assert.deepEqual(fs.readdirSync(f.outFolder), ['rows.csv']);
});

test('label --out LINK: the file it names is replaced, the link stays', engineTest, () => {
  const f = labelFixture();
  fs.mkdirSync(f.out('real'));
  fs.writeFileSync(f.out('real/labels.csv'), 'old');
  fs.symlinkSync('real/labels.csv', f.out('labels.csv'));
  const r = agnews(labelTo(f.input, f.out('labels.csv')));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readlinkSync(f.out('labels.csv')), 'real/labels.csv');
  assert.match(fs.readFileSync(f.out('real/labels.csv'), 'utf8'), /^file,unit,/);
  assert.deepEqual(fs.readdirSync(f.out('real')), ['labels.csv']);
});

test('label --out FILE: an existing file is replaced atomically, no temp file left', engineTest, () => {
  const f = labelFixture();
  fs.writeFileSync(f.out('labels.csv'), 'old');
  const r = agnews(labelTo(f.input, f.out('labels.csv')));
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(f.out('labels.csv'), 'utf8'), /^file,unit,/);
  assert.deepEqual(fs.readdirSync(f.outFolder), ['labels.csv']);
});

test('label --out FOLDER: refused before the model loads, the folder untouched', () => {
  const f = labelFixture();
  fs.writeFileSync(f.out('keep.txt'), 'kept');
  const r = agnews(labelTo(f.input, f.outFolder));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /is a folder/);
  assert.deepEqual(fs.readdirSync(f.outFolder), ['keep.txt']);
});

/** Runs `agnews serve --port 0 --tokenFile P` expecting it to refuse: exit 2, with its stderr. */
async function serveRefused(tokenFile) {
  const server = spawnServer(['--port', '0', '--tokenFile', tokenFile]);
  const exit = await withTimeout(server.exited, 60000, 'agnews serve refusing the token file');
  return { code: exit.code, stderr: server.stderr() };
}

function privateFolder() {
  const folder = fs.mkdtempSync(path.join(cache, 'token-'));
  fs.chmodSync(folder, 0o700);
  return folder;
}

for (const [what, make, check] of [
  ['an existing file', (p) => fs.writeFileSync(p, 'my notes'), (p) => assert.equal(fs.readFileSync(p, 'utf8'), 'my notes')],
  ['a FIFO', (p) => execFileSync('mkfifo', [p]), (p) => assert.ok(fs.lstatSync(p).isFIFO())],
  ['a link', (p) => { fs.writeFileSync(p + '.notes', 'my notes'); fs.symlinkSync(p + '.notes', p); },
    (p) => { assert.ok(fs.lstatSync(p).isSymbolicLink()); assert.equal(fs.readFileSync(p + '.notes', 'utf8'), 'my notes'); }],
  ['a folder', (p) => fs.mkdirSync(p), (p) => assert.ok(fs.lstatSync(p).isDirectory())],
]) {
  test(`serve --tokenFile over ${what}: exit 2, nothing deleted`, async () => {
    const p = path.join(privateFolder(), 'server.token');
    make(p);
    const r = await serveRefused(p);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /already exists/);
    check(p);
  });
}

test('serve --tokenFile in a folder others may write: exit 2', async () => {
  const folder = privateFolder();
  fs.chmodSync(folder, 0o777);
  const r = await serveRefused(path.join(folder, 'server.token'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /writable by group or others/);
  assert.deepEqual(fs.readdirSync(folder), []);
});

test('serve: a second server on the same token path is refused; the first keeps its token', async () => {
  const tokenFile = path.join(privateFolder(), 'server.token');
  const first = await startTcp({}, ['--tokenFile', tokenFile]);
  try {
    const second = await serveRefused(tokenFile);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /running agnews server/);
    assert.equal(fs.readFileSync(tokenFile, 'utf8'), first.token);
  } finally {
    first.proc.kill('SIGTERM');
    await withTimeout(first.exited, 15000, 'TCP server stop').catch(() => first.proc.kill('SIGKILL'));
  }
  assert.ok(!fs.existsSync(tokenFile), 'the first removes its own token at exit');
});

test('serve: the stale token of a killed server is replaced', async () => {
  const tokenFile = path.join(privateFolder(), 'server.token');
  const killed = await startTcp({}, ['--tokenFile', tokenFile]);
  killed.proc.kill('SIGKILL');
  await withTimeout(killed.exited, 15000, 'killed server');
  assert.equal(fs.readFileSync(tokenFile, 'utf8'), killed.token);
  const next = await startTcp({}, ['--tokenFile', tokenFile]);
  try {
    assert.notEqual(next.token, killed.token);
  } finally {
    next.proc.kill('SIGTERM');
    await withTimeout(next.exited, 15000, 'TCP server stop').catch(() => next.proc.kill('SIGKILL'));
  }
});
