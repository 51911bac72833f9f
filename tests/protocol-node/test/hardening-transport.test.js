'use strict';
// Issue 23, items 1-4, against the real process: no byte stream ends a session, and a TCP connection that has not
// shown the token can neither fill memory nor stay open. Needs no model (agnews/status before the engine loads is
// answered with -32603 "engine failed" or a result: either way an answer, which is what these tests count).
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { spawnServer, startTcp, initializeParams, withTimeout, frameReader, frame } = require('../lib/server');

const initialize = (id, options = {}) => ({ jsonrpc: '2.0', id, method: 'initialize', params: initializeParams(options) });
const shutdown = (id) => ({ jsonrpc: '2.0', id, method: 'shutdown', params: null });
const nested = (depth) => '['.repeat(depth) + ']'.repeat(depth);

/** A stdio server with raw frames, initialized. */
async function stdio() {
  const s = spawnServer(['--stdio']);
  const reader = frameReader(s.proc.stdout);
  const send = (message) => s.proc.stdin.write(Buffer.isBuffer(message) ? message : frame(message));
  send(initialize(1));
  await reader.byId(1);
  return { ...s, reader, send };
}

async function end(s) {
  s.proc.stdin.end();
  await withTimeout(s.exited, 15000, 'exit').catch(() => s.proc.kill('SIGKILL'));
}

/** Resolves once `pattern` shows in the server's stderr (which reaches us after the socket events it explains). */
async function logged(server, pattern, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!pattern.test(server.stderr())) {
    if (Date.now() > deadline) assert.match(server.stderr(), pattern);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A raw TCP connection to a server: send frames, read frames, see when it closes. */
async function rawTcp(port) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.once('close', resolve));
  const reader = frameReader(socket);
  return { socket, reader, closed, send: (m) => socket.write(Buffer.isBuffer(m) ? m : frame(m)) };
}

test('stdio: a request nested 63 arrays deep is answered with an error and the next request is answered', async () => {
  const s = await stdio();
  try {
    s.send(`{"jsonrpc":"2.0","id":2,"method":"agnews/status","params":{"x":${nested(63)}}}`);
    s.send(shutdown(3));
    const deep = await s.reader.byId(2, 10000);
    assert.equal(deep.error.code, -32600);
    assert.match(deep.error.message, /nested deeper than 32 levels/);
    assert.ok('result' in await s.reader.byId(3, 10000), 'the next request is answered');
    assert.equal(s.proc.exitCode, null);
  } finally {
    await end(s);
  }
});

test('stdio: a lone surrogate escape in an id, a method or params is an error, not the end of the session', async () => {
  const s = await stdio();
  try {
    s.send('{"jsonrpc":"2.0","id":"\\ud800","method":"agnews/status","params":{}}');
    s.send('{"jsonrpc":"2.0","id":4,"method":"agnews/\\udc00status","params":{}}');
    s.send('{"jsonrpc":"2.0","id":5,"method":"agnews/classify","params":{"text":"a \\ud83d b"}}');
    s.send('{"jsonrpc":"2.0","id":6,"method":"agnews/classify","params":{"text":"a pair \\ud83d\\ude00 is text"},"x":1}'.replace(',"x":1', ''));
    s.send(shutdown(7));
    const nullId = await s.reader.next((m) => m.id === null && m.error, 10000, 'error with id null');
    assert.equal(nullId.error.code, -32700);
    assert.match(nullId.error.message, /lone UTF-16 surrogate/);
    assert.equal((await s.reader.byId(4, 10000)).error.code, -32600);
    assert.equal((await s.reader.byId(5, 10000)).error.code, -32600);
    const pair = await s.reader.byId(6, 60000); // a well-formed pair is text: it reaches the handler
    assert.ok(!pair.error || !/surrogate/.test(pair.error.message), JSON.stringify(pair));
    assert.ok('result' in await s.reader.byId(7, 60000));
  } finally {
    await end(s);
  }
});

test('stdio: a header ended by bare LFs is read, and the frame after it too', async () => {
  const s = await stdio();
  try {
    const body = JSON.stringify(shutdown(2)).replace('shutdown', 'agnews/frobnicate');
    s.proc.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\n\n${body}`);
    s.send(shutdown(3));
    assert.equal((await s.reader.byId(2, 10000)).error.code, -32601); // read as a frame: an unknown method
    assert.ok('result' in await s.reader.byId(3, 10000));
  } finally {
    await end(s);
  }
});

test('TCP: before the token, deep or broken frames are answered, only initialize is admitted, in small frames', async () => {
  const server = await startTcp({}, ['--auth-timeout-ms', '60000']);
  try {
    const c = await rawTcp(server.port);
    c.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":${nested(63)}}}`);
    assert.equal((await c.reader.byId(1, 10000)).error.code, -32600);
    c.send('{"jsonrpc":"2.0","id":"\\ud800","method":"initialize","params":{}}');
    assert.equal((await c.reader.next((m) => m.id === null && m.error, 10000)).error.code, -32700);
    c.send({ jsonrpc: '2.0', id: 2, method: 'agnews/status', params: {} });
    assert.equal((await c.reader.byId(2, 10000)).error.code, -32002);
    // A 60 MB frame is refused unread: only its header is looked at.
    c.socket.write(`Content-Length: ${60 << 20}\r\n\r\n`);
    c.socket.write(Buffer.alloc(1 << 20, 0x20));
    const big = await c.reader.next((m) => m.error && /over the limit of 65536 bytes before the token/.test(m.error.message), 10000, 'big frame refusal');
    assert.equal(big.error.code, -32600);
    c.send(initialize(3, { token: server.token }));
    assert.ok('result' in await c.reader.byId(3, 10000), 'the right token still opens the connection');
    c.send({ jsonrpc: '2.0', id: 4, method: 'agnews/frobnicate', params: {} });
    assert.equal((await c.reader.byId(4, 10000)).error.code, -32601, 'after the token, requests reach the server');
    c.socket.destroy();
  } finally {
    server.proc.kill('SIGTERM');
    await withTimeout(server.exited, 15000, 'TCP server stop').catch(() => server.proc.kill('SIGKILL'));
  }
});

test('TCP: a connection that never shows the token is closed after the deadline; connections over the caps are closed at once', async () => {
  const server = await startTcp({}, ['--auth-timeout-ms', '1500', '--max-unauthenticated-connections', '3', '--max-connections', '5']);
  try {
    const idle = [];
    for (let i = 0; i < 3; i++) idle.push(await rawTcp(server.port));
    const extra = await rawTcp(server.port);
    await withTimeout(extra.closed, 10000, 'a fourth unauthenticated connection closed at once');
    await logged(server, /closed at once: 3 connections have not shown the token yet/);
    await withTimeout(Promise.all(idle.map((c) => c.closed)), 15000, 'idle connections closed after the deadline');
    await logged(server, /no initialize with the token within 1500 ms/);
    // Once they are gone, a client with the token is served.
    const ok = await rawTcp(server.port);
    ok.send(initialize(1, { token: server.token }));
    const answer = await ok.reader.byId(1, 10000).catch((e) => { throw new Error(e.message + '\n' + server.stderr()); });
    assert.ok('result' in answer);
    ok.socket.destroy();
  } finally {
    server.proc.kill('SIGTERM');
    await withTimeout(server.exited, 15000, 'TCP server stop').catch(() => server.proc.kill('SIGKILL'));
  }
});
