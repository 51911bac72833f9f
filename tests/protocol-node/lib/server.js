'use strict';
// Starts the real agnews server and connects vscode-jsonrpc to it.
//
// Which server: AGNEWS_SERVER_DLL (path to agnews.dll, run with `dotnet`), or AGNEWS_SERVER (a native
// executable, e.g. a published `agnews`), or else the Debug build of this repository.
// AGNEWS_NODE_ENGINE=0 skips the tests that need a working engine (model + head); the lifecycle and
// error tests run against any build, even one whose engine cannot load.
// Every other AGNEWS_* variable (AGNEWS_MODELPATH, AGNEWS_HEADPATH, ...) reaches the server unchanged.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const rpc = require('vscode-jsonrpc/node');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const defaultDll = path.join(repoRoot, 'server', 'AgNewsLsp.Server', 'bin', 'Debug', 'net10.0', 'linux-x64', 'agnews.dll');

function serverCommand(extraArgs) {
  if (process.env.AGNEWS_SERVER) return { command: process.env.AGNEWS_SERVER, args: ['serve', ...extraArgs] };
  const dll = process.env.AGNEWS_SERVER_DLL || defaultDll;
  if (!fs.existsSync(dll)) {
    throw new Error(`agnews.dll not found at ${dll}: build server/AgNewsLsp.Server or set AGNEWS_SERVER_DLL`);
  }
  return { command: process.env.DOTNET || 'dotnet', args: [dll, 'serve', ...extraArgs] };
}

const engineAvailable = process.env.AGNEWS_NODE_ENGINE !== '0';

/** Engine-dependent requests may first load the model: give them time. */
const ENGINE_TIMEOUT_MS = Number(process.env.AGNEWS_NODE_TIMEOUT_MS || 180000);

function spawnServer(extraArgs = ['--stdio'], env = {}) {
  const { command, args } = serverCommand(extraArgs);
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, stderr: () => stderr };
}

/** A stdio server with a vscode-jsonrpc connection; notifications are recorded. */
function startStdio(extraArgs = ['--stdio'], env = {}) {
  const server = spawnServer(extraArgs, env);
  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(server.proc.stdout),
    new rpc.StreamMessageWriter(server.proc.stdin));
  const recorded = attach(connection);
  return { ...server, connection, ...recorded };
}

function attach(connection) {
  const logs = [];
  const progress = [];
  const diagnostics = [];
  connection.onNotification('window/logMessage', (p) => logs.push(p));
  connection.onNotification('$/progress', (p) => progress.push(p));
  connection.onNotification('textDocument/publishDiagnostics', (p) => diagnostics.push(p));
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onError(() => {});
  connection.listen();
  return { logs, progress, diagnostics };
}

/**
 * Starts `agnews serve --port 0`: reads the chosen port and the token file from stderr. `token` is what a
 * client must send as initializationOptions.token.
 */
async function startTcp(env = {}, extraArgs = []) {
  const server = spawnServer(['--port', '0', ...extraArgs], env);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening on" line: ' + server.stderr())), 30000);
    const onData = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(server.stderr());
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    server.proc.stderr.on('data', onData);
    server.exited.then(() => reject(new Error('server exited: ' + server.stderr())));
  });
  const tokenFile = /token file (.+)/.exec(server.stderr())[1].trim();
  const token = fs.readFileSync(tokenFile, 'utf8');
  return { ...server, port, tokenFile, token, connect: () => connectTcp(port) };
}

async function connectTcp(port) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(socket), new rpc.StreamMessageWriter(socket));
  return { socket, connection, ...attach(connection) };
}

function initializeParams(initializationOptions = {}, workDoneProgress = true) {
  return {
    processId: process.pid,
    rootUri: null,
    capabilities: { window: { workDoneProgress } },
    initializationOptions,
    clientInfo: { name: 'agnews-protocol-node-tests' },
  };
}

/** Resolves to the error's code, or fails when the request succeeds. */
async function errorCode(promise) {
  try {
    await promise;
  } catch (e) {
    if (e && typeof e.code === 'number') return e.code;
    throw e;
  }
  throw new Error('expected an error response');
}

/** Writes one framed message straight to the server's stdin, bypassing vscode-jsonrpc. */
function writeRaw(proc, body) {
  const bytes = Buffer.from(body, 'utf8');
  proc.stdin.write(`Content-Length: ${bytes.length}\r\n\r\n`);
  proc.stdin.write(bytes);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); }),
  ]);
}

async function stop(server) {
  try { server.connection.dispose(); } catch { /* already gone */ }
  if (server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.stdin.end();
    const done = await withTimeout(server.exited, 10000, 'server exit after stdin closed').catch(() => null);
    if (!done) server.proc.kill('SIGKILL');
  }
}

/** Reads framed messages from a byte stream (no vscode-jsonrpc): for tests that send broken frames. */
function frameReader(stream) {
  let buffer = Buffer.alloc(0);
  const messages = [];
  const waiters = [];
  stream.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (true) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString('ascii'));
      const length = Number(m[1]);
      if (buffer.length < end + 4 + length) return;
      const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString('utf8'));
      buffer = buffer.subarray(end + 4 + length);
      messages.push(message);
      for (const w of waiters.splice(0)) w();
    }
  });
  /** Resolves with the first message (seen or to come) that `predicate` accepts. */
  async function next(predicate, ms = 30000, what = 'message') {
    const deadline = Date.now() + ms;
    while (true) {
      const found = messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not received in ${ms} ms`);
      await new Promise((resolve) => { const t = setTimeout(resolve, Math.min(left, 200)); waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
  }
  return { messages, next, byId: (id, ms) => next((m) => m.id === id && !m.method, ms, `response ${id}`) };
}

function frame(body) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]);
}

module.exports = {
  frameReader, frame,
  serverCommand, spawnServer, startStdio, startTcp, initializeParams, errorCode, writeRaw, withTimeout, stop,
  engineAvailable, ENGINE_TIMEOUT_MS,
};
