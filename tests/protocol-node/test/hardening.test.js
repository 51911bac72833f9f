'use strict';
// Issue 9 against the real process: stray responses, broken framing, special files, the TCP token and
// per-connection settings, workspace-only disk reads, CLI bounds. Most of it needs no model.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  spawnServer, serverCommand, startTcp, initializeParams, errorCode, withTimeout, frameReader, frame, engineAvailable, ENGINE_TIMEOUT_MS,
} = require('../lib/server');

const hover = (id, uri = 'file:///none.txt') => ({ jsonrpc: '2.0', id, method: 'textDocument/hover', params: { textDocument: { uri }, position: { line: 0, character: 0 } } });
const initialize = (id, extra = {}) => ({ jsonrpc: '2.0', id, method: 'initialize', params: { ...initializeParams(), ...extra } });

/** A stdio server driven with raw frames. */
async function raw(extra = {}) {
  const s = spawnServer(['--stdio']);
  const reader = frameReader(s.proc.stdout);
  const send = (message) => s.proc.stdin.write(Buffer.isBuffer(message) ? message : frame(message));
  send(initialize(1, extra));
  await reader.byId(1);
  send({ jsonrpc: '2.0', method: 'initialized', params: {} });
  return { ...s, reader, send };
}

async function end(s) {
  s.proc.stdin.end();
  await withTimeout(s.exited, 15000, 'exit').catch(() => s.proc.kill('SIGKILL'));
}

test('a response the server never asked for is logged and ignored; the session keeps answering', async () => {
  const s = await raw();
  try {
    s.send({ jsonrpc: '2.0', id: 99, result: null });
    s.send({ jsonrpc: '2.0', id: 99, error: { code: 1, message: 'twice' } });
    s.send(hover(2));
    assert.equal((await s.reader.byId(2, 10000)).result, null);
    assert.equal(s.proc.exitCode, null);
    assert.match(s.stderr(), /ignored a response with id 99/);
    assert.ok(!s.reader.messages.some((m) => m.id === 99), 'a stray response is not answered');
  } finally {
    await end(s);
  }
});

test('framing errors are answered and the stream resynchronises on the next header', async () => {
  const s = await raw();
  try {
    const broken = [
      'Content-Type: application/json\r\n\r\n{"a":1}',                   // no Content-Length
      'Content-Length: abc\r\n\r\n{}',                                    // not a number
      'Content-Length: -5\r\n\r\n{}',                                     // negative
      'Content-Length: 2\r\nContent-Length: 9\r\n\r\n{}',               // two lengths
      'garbageContent-Length: 2\r\n\r\n{}',                              // junk before a header, no CRLF
      'no header at all, just bytes\r\n\r\n',
    ];
    let id = 10;
    for (const junk of broken) {
      s.send(Buffer.from(junk, 'ascii'));
      s.send(hover(id));
      assert.equal((await s.reader.byId(id, 10000)).result, null, `request after ${JSON.stringify(junk)}`);
      id++;
    }
    const errors = s.reader.messages.filter((m) => m.id === null && m.error);
    assert.ok(errors.length >= broken.length, `one error per broken header (${errors.length})`);
    assert.ok(errors.every((m) => [-32700, -32600].includes(m.error.code)), 'broken headers are parse errors; a recovered frame is judged itself');

    // a length far above the limit is refused at once, not read
    const started = Date.now();
    s.send(Buffer.from('Content-Length: 1099511627776\r\n\r\n', 'ascii'));
    const refused = await s.reader.next((m) => m.error && /over the limit/.test(m.error.message), 5000, 'refusal of 1 TiB');
    assert.equal(refused.error.code, -32600);
    assert.ok(Date.now() - started < 5000);
    s.send(hover(40));
    assert.equal((await s.reader.byId(40, 10000)).result, null);

    // invalid UTF-8 is a parse error (-32700), not invalid params
    const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":41,"method":"agnews/classify","params":{"text":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    s.send(frame(body));
    const utf8 = await s.reader.next((m) => m.error && /UTF-8/.test(m.error.message), 10000, 'UTF-8 error');
    assert.equal(utf8.error.code, -32700);
    s.send(hover(42));
    assert.equal((await s.reader.byId(42, 10000)).result, null);
    assert.equal(s.proc.exitCode, null);
  } finally {
    await end(s);
  }
});

test('a request id already in flight gets -32600 naming it; the first request is still answered', async () => {
  const s = await raw();
  try {
    // status waits for the engine to load (or fail to): long enough to be in flight
    const status = { jsonrpc: '2.0', id: 'dup', method: 'agnews/status', params: {} };
    s.send(Buffer.concat([frame(status), frame(status)]));
    const rejected = await s.reader.next((m) => m.id === 'dup' && m.error && m.error.code === -32600, 20000, 'duplicate rejection');
    assert.match(rejected.error.message, /"dup"/);
    await s.reader.next((m) => m.id === 'dup' && m !== rejected && !(m.error && m.error.code === -32600), ENGINE_TIMEOUT_MS, 'first answer');
    assert.equal(s.reader.messages.filter((m) => m.id === 'dup').length, 2);
    s.send({ jsonrpc: '2.0', id: 'dup', method: 'WhenIdleAsync', params: { timeout: '00:00:01' } });
    assert.equal((await s.reader.next((m) => m.id === 'dup' && m.error && m.error.code === -32601, 10000, 'internal method')).error.code, -32601);
  } finally {
    await end(s);
  }
});

test('special files as data or documents are refused at once; training is not left running', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-special-'));
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const s = await raw({ workspaceFolders: [{ uri: 'file:///dev', name: 'dev' }, { uri: `file://${dir}`, name: 'tmp' }] });
  try {
    let id = 100;
    for (const dataPath of ['/dev/zero', fifo, '/dev/stdin', `file://${fifo}`]) {
      for (const method of ['agnews/train', 'agnews/evaluate']) {
        const started = Date.now();
        s.send({ jsonrpc: '2.0', id, method, params: { dataPath } });
        const reply = await s.reader.byId(id, 10000);
        assert.equal(reply.error && reply.error.code, -32003, `${method} ${dataPath}: ${JSON.stringify(reply)}`);
        assert.match(reply.error.message, /not a regular file/);
        assert.ok(Date.now() - started < 10000);
        id++;
      }
    }
    for (const uri of ['file:///dev/zero', `file://${fifo}`]) {
      s.send({ jsonrpc: '2.0', id, method: 'agnews/labelDocument', params: { uri } });
      const reply = await s.reader.byId(id, 10000);
      assert.equal(reply.error && reply.error.code, -32003, `labelDocument ${uri}`);
      id++;
    }
    // nothing is stuck: a later train is judged on its own (missing file), not refused as busy
    s.send({ jsonrpc: '2.0', id, method: 'agnews/train', params: { dataPath: path.join(dir, 'missing.csv') } });
    assert.equal((await s.reader.byId(id, 10000)).error.code, -32003);
    assert.ok(!/\n\s+at /.test(s.stderr()), 'no stack trace in the log');
  } finally {
    await end(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('labelDocument reads from disk only inside the declared workspace folders', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-ws-'));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'Stocks fell sharply on Wall Street today.');
  fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
  const s = await raw({ workspaceFolders: [{ uri: `file://${dir}`, name: 'ws' }] });
  try {
    let id = 200;
    for (const uri of ['file:///etc/passwd', 'file:///etc/shadow', `file://${dir}/passwd`, `file://${dir}/../../etc/passwd`]) {
      s.send({ jsonrpc: '2.0', id, method: 'agnews/labelDocument', params: { uri } });
      const reply = await s.reader.byId(id, 10000);
      assert.equal(reply.error && reply.error.code, -32003, `${uri}: ${JSON.stringify(reply)}`);
      assert.match(reply.error.message, /workspace folder/);
      id++;
    }
  } finally {
    await end(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TCP: a connection without the token is refused and closed; the token file is private', async () => {
  const server = await startTcp();
  try {
    assert.equal(fs.statSync(server.tokenFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(server.tokenFile)).mode & 0o077, 0);
    for (const options of [{}, { token: 'wrong' }, { token: server.token.slice(1) }]) {
      const c = await server.connect();
      const closed = new Promise((resolve) => c.socket.on('close', resolve));
      assert.equal(await errorCode(c.connection.sendRequest('initialize', initializeParams(options))), -32004);
      await withTimeout(closed, 10000, 'connection closed after a refused initialize');
    }
    const ok = await server.connect();
    await ok.connection.sendRequest('initialize', initializeParams({ token: server.token }));
    assert.equal(await errorCode(ok.connection.sendRequest('agnews/labelDocument', { uri: 'file:///etc/passwd' })), -32003);
    ok.socket.destroy();
  } finally {
    server.proc.kill('SIGTERM');
    await withTimeout(server.exited, 15000, 'TCP server stop').catch(() => server.proc.kill('SIGKILL'));
  }
  assert.ok(!fs.existsSync(server.tokenFile), 'the token file is removed when the server stops');
});

test('TCP: each connection gets the engine its own settings ask for', { skip: !engineAvailable && 'AGNEWS_NODE_ENGINE=0', timeout: ENGINE_TIMEOUT_MS }, async () => {
  const dll = process.env.AGNEWS_SERVER_DLL;
  const shipped = dll && path.join(path.dirname(dll), 'heads', 'minilm-default.head.json');
  if (!shipped || !fs.existsSync(shipped)) return; // only with a build that ships its head
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-heads-'));
  const [headA, headB] = [path.join(dir, 'a.head.json'), path.join(dir, 'b.head.json')];
  fs.copyFileSync(shipped, headA);
  fs.copyFileSync(shipped, headB);
  const server = await startTcp();
  try {
    const a = await server.connect();
    const b = await server.connect();
    await a.connection.sendRequest('initialize', initializeParams({ token: server.token, headPath: headA }));
    await b.connection.sendRequest('initialize', initializeParams({ token: server.token, headPath: headB }));
    const [sa, sb] = await Promise.all([a.connection.sendRequest('agnews/status', {}), b.connection.sendRequest('agnews/status', {})]);
    assert.equal(sa.headPath, headA);
    assert.equal(sb.headPath, headB);
    a.socket.destroy();
    b.socket.destroy();
  } finally {
    server.proc.kill('SIGTERM');
    await withTimeout(server.exited, 30000, 'TCP server stop').catch(() => server.proc.kill('SIGKILL'));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('serve with a port out of range is a usage error (exit 2), not a silent exit 0', () => {
  for (const port of ['99999', '-1']) {
    const { command, args } = serverCommand(['--port', port]);
    const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /port must be/);
  }
});
