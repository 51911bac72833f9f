'use strict';
// The command line against special files: each ends at once with exit 1 and a clear message, in bounded memory.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serverCommand } = require('../lib/server');

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
