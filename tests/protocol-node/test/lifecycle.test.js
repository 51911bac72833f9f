'use strict';
// Lifecycle, framing and protocol errors against the real process. Needs no model: runs on any build.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startStdio, startTcp, initializeParams, errorCode, writeRaw, withTimeout, stop } = require('../lib/server');

const COMMANDS = ['agnews/classify', 'agnews/correct', 'agnews/evaluate', 'agnews/labelDocument', 'agnews/labelFolder', 'agnews/status',
  'agnews/suggest', 'agnews/train', 'agnews/undoCorrection']; // one per handler with a command, by handler name

test('initialize advertises capabilities; shutdown then exit ends with code 0', async () => {
  const s = startStdio();
  try {
    assert.equal(await errorCode(s.connection.sendRequest('agnews/status', {})), -32002);
    const result = await withTimeout(s.connection.sendRequest('initialize', initializeParams()), 30000, 'initialize');
    assert.equal(result.capabilities.hoverProvider, true);
    assert.equal(result.capabilities.textDocumentSync.change, 2);
    assert.deepEqual(result.capabilities.executeCommandProvider.commands, COMMANDS);
    assert.equal(result.serverInfo.name, 'agnews');
    await s.connection.sendNotification('initialized', {});
    assert.equal(await s.connection.sendRequest('shutdown'), null);
    assert.equal(await errorCode(s.connection.sendRequest('agnews/status', {})), -32600);
    await s.connection.sendNotification('exit');
    const { code } = await withTimeout(s.exited, 15000, 'exit');
    assert.equal(code, 0);
    assert.doesNotMatch(s.stderr(), /Unhandled exception/);
  } finally {
    await stop(s);
  }
});

test('exit without shutdown ends with code 1', async () => {
  const s = startStdio();
  try {
    await s.connection.sendRequest('initialize', initializeParams());
    await s.connection.sendNotification('exit');
    const { code } = await withTimeout(s.exited, 15000, 'exit');
    assert.equal(code, 1);
  } finally {
    await stop(s);
  }
});

test('unknown methods, wrong params and malformed JSON get errors; the process keeps serving', async () => {
  const s = startStdio();
  try {
    await s.connection.sendRequest('initialize', initializeParams());
    await s.connection.sendNotification('initialized', {});
    assert.equal(await errorCode(s.connection.sendRequest('agnews/frobnicate', {})), -32601);
    assert.equal(await errorCode(s.connection.sendRequest('agnews/classify', { text: 5 })), -32602);
    assert.equal(await errorCode(s.connection.sendRequest('textDocument/hover', { textDocument: 'x' })), -32602);
    assert.equal(await errorCode(s.connection.sendRequest('workspace/executeCommand', { command: 'agnews.nope' })), -32602);
    // binary and oversized input never reach the engine
    assert.equal(await errorCode(s.connection.sendRequest('agnews/classify', { text: 'a\u0000b' })), -32003);
    assert.equal(await errorCode(s.connection.sendRequest('agnews/classify', { text: 'x'.repeat(1048577) })), -32003);
    assert.equal(await errorCode(s.connection.sendRequest('agnews/train', { dataPath: '/no/such/file.csv' })), -32003);
    assert.equal(await errorCode(s.connection.sendRequest('agnews/evaluate', { dataPath: '/no/such/file.csv' })), -32003);
    // a broken frame between two good ones
    writeRaw(s.proc, '{"jsonrpc":"2.0","id":999,"method":');
    writeRaw(s.proc, '[]');
    const hover = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///none.txt' }, position: { line: 0, character: 0 } });
    assert.equal(hover, null);
    assert.equal(s.proc.exitCode, null);
  } finally {
    await stop(s);
  }
});

test('client vanishing (stdin closed) ends the process cleanly', async () => {
  const s = startStdio();
  try {
    await s.connection.sendRequest('initialize', initializeParams());
    s.proc.stdin.end();
    const { code } = await withTimeout(s.exited, 15000, 'exit after stdin closed');
    assert.equal(code, 0);
    assert.doesNotMatch(s.stderr(), /Unhandled exception/);
  } finally {
    await stop(s);
  }
});

test('stdout carries only protocol: logs go to stderr and window/logMessage', async () => {
  const s = startStdio(['--stdio', '--logLevel', 'Debug']);
  try {
    await s.connection.sendRequest('initialize', initializeParams());
    await s.connection.sendNotification('initialized', {});
    await s.connection.sendRequest('shutdown');
    // If anything but framed messages reached stdout, vscode-jsonrpc would have failed to parse it.
    assert.ok(s.logs.length > 0, 'expected window/logMessage notifications');
    assert.match(s.stderr(), /agnews/);
  } finally {
    await stop(s);
  }
});

test('TCP: each connection is its own session', async () => {
  const server = await startTcp();
  try {
    const a = await server.connect();
    const b = await server.connect();
    await a.connection.sendRequest('initialize', initializeParams({ token: server.token }));
    // b is not initialized yet: its own lifecycle
    assert.equal(await errorCode(b.connection.sendRequest('agnews/status', {})), -32002);
    await b.connection.sendRequest('initialize', initializeParams({ token: server.token }));
    await a.connection.sendRequest('shutdown');
    await a.connection.sendNotification('exit');
    // a's exit ends a's session only
    const hover = await b.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///x.txt' }, position: { line: 0, character: 0 } });
    assert.equal(hover, null);
    b.socket.destroy();
    assert.equal(server.proc.exitCode, null);
  } finally {
    server.proc.kill('SIGTERM');
    await withTimeout(server.exited, 15000, 'TCP server stop').catch(() => server.proc.kill('SIGKILL'));
  }
});

test('stray stdout writes of the engine (managed and native) stay off the protocol stream',
  { skip: process.env.FAKE_STDOUT_NOISE !== '1' && 'runs against fake-server with FAKE_STDOUT_NOISE=1' }, async () => {
    const s = startStdio();
    try {
      await s.connection.sendRequest('initialize', initializeParams());
      const status = await withTimeout(s.connection.sendRequest('agnews/status', {}), 30000, 'status');
      assert.equal(typeof status.modelName, 'string');
      assert.match(s.stderr(), /managed noise on stdout/);
      assert.match(s.stderr(), /native noise on fd 1/);
    } finally {
      await stop(s);
    }
  });
