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

/** Connects to `agnews serve --port 0`: reads the chosen port from stderr. */
async function startTcp(env = {}) {
  const server = spawnServer(['--port', '0'], env);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening on" line: ' + server.stderr())), 30000);
    const onData = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(server.stderr());
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    server.proc.stderr.on('data', onData);
    server.exited.then(() => reject(new Error('server exited: ' + server.stderr())));
  });
  return { ...server, port, connect: () => connectTcp(port) };
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

module.exports = {
  spawnServer, startStdio, startTcp, initializeParams, errorCode, writeRaw, withTimeout, stop,
  engineAvailable, ENGINE_TIMEOUT_MS,
};
