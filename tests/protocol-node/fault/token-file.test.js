'use strict';
// Issue 23, item 6: --token-file never deletes or writes through what it names. A token file is made only where nothing
// is, or over a stale token; a second server on the same path refuses (exit 2); at exit only our own file is deleted.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnServer, startTcp, initializeParams, withTimeout } = require('../lib/server');

function folder() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-token-'));
  fs.chmodSync(dir, 0o700);
  return dir;
}

async function refused(tokenFile) {
  const s = spawnServer(['--port', '0', '--token-file', tokenFile]);
  const { code } = await withTimeout(s.exited, 30000, 'server exit');
  return { code, stderr: s.stderr() };
}

async function stopTcp(server) {
  server.proc.kill('SIGTERM');
  await withTimeout(server.exited, 15000, 'TCP server stop').catch(() => server.proc.kill('SIGKILL'));
}

test('a token path that holds a file, a link, a folder or a FIFO is refused with exit 2 and left as it was', async () => {
  const dir = folder();
  try {
    const notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, 'my notes');
    const link = path.join(dir, 'link.token');
    fs.symlinkSync(notes, link);
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const target of [notes, link, sub, fifo]) {
      const { code, stderr } = await refused(target);
      assert.equal(code, 2, `${target}: ${stderr}`);
      assert.match(stderr, /not a token file|not replaced/);
    }
    assert.equal(fs.readFileSync(notes, 'utf8'), 'my notes');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.ok(fs.statSync(sub).isDirectory());
    assert.ok(fs.lstatSync(fifo).isFIFO());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second server on a running server\'s token path refuses; the first keeps its token; a stale token is replaced', async () => {
  const dir = folder();
  const tokenFile = path.join(dir, 'server.token');
  const first = await startTcp({}, ['--token-file', tokenFile]);
  try {
    const { code, stderr } = await refused(tokenFile);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /still running/);
    assert.equal(fs.readFileSync(tokenFile, 'utf8'), first.token, 'the first server\'s token is untouched');
    const client = await first.connect();
    await client.connection.sendRequest('initialize', initializeParams({ token: first.token }));
    client.socket.destroy();
  } finally {
    await stopTcp(first);
  }
  assert.ok(!fs.existsSync(tokenFile), 'the first server deleted its own token at exit');

  fs.writeFileSync(tokenFile, 'ab'.repeat(32)); // the token of a server that died without cleaning up
  const second = await startTcp({}, ['--token-file', tokenFile]);
  try {
    assert.notEqual(second.token, 'ab'.repeat(32));
    fs.rmSync(tokenFile);
    fs.writeFileSync(tokenFile, 'not ours'); // replaced under it: not ours to delete at exit
  } finally {
    await stopTcp(second);
  }
  assert.equal(fs.readFileSync(tokenFile, 'utf8'), 'not ours');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a token folder others may write is refused', async () => {
  const dir = folder();
  try {
    fs.chmodSync(dir, 0o777);
    const { code, stderr } = await refused(path.join(dir, 'server.token'));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /may be written by other users/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
