// Server lifecycle: starts the AgNewsLsp server over stdio with vscode-languageclient, stops and restarts it, and
// restarts it when a setting that is read at start changes.
import * as cp from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { CodeLensRequest, type ExecuteCommandMiddleware, LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import { currentSettings, pathContext } from './config';
import { errorMessage, ServerState } from './lib/format';
import { Methods, StatusResult } from './lib/protocol';
import { documentSelector, DOTNET_MISSING_MESSAGE, resolveServerCommand, ServerCommand, serverNotFoundMessage } from './lib/serverCommand';
import { changedRestartKeys, fullKey, SETTINGS, toInitializationOptions } from './lib/settings';

export class AgNewsServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private currentState: ServerState = 'stopped';
  private status: StatusResult | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly restarted = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed, this.restarted];

  /** The state or the last agnews/status changed. */
  readonly onDidChange = this.changed.event;
  /** The server was stopped for a restart: results of the old session no longer describe the new one. */
  readonly onDidRestart = this.restarted.event;

  /**
   * Runs the server's commands (code actions, lenses) in the client's place when set: teaching asks for a new class's
   * name and shows what the server answered (teaching.ts). Read on each command, so it may be set after the start.
   */
  executeCommandMiddleware: ExecuteCommandMiddleware['executeCommand'];

  constructor(private readonly extensionPath: string, private readonly output: vscode.OutputChannel) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      const changed = changedRestartKeys((key) => e.affectsConfiguration(key));
      if (changed.length) {
        this.output.appendLine(`[client] settings changed (${changed.join(', ')}); restarting the server`);
        void this.restart();
      } else if (e.affectsConfiguration(fullKey(SETTINGS.inlineLabels))) {
        // Read by the lens middleware on each request: asking VS Code for the lenses again is all a change needs.
        this.refreshCodeLenses();
      }
    }));
  }

  get state(): ServerState { return this.currentState; }
  /** The last agnews/status answer while running. */
  get lastStatus(): StatusResult | undefined { return this.status; }

  async start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.doStart().finally(() => { this.starting = undefined; });
    return this.starting;
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      try { await c.stop(5000); } catch (e) { this.output.appendLine(`[client] stop: ${errorMessage(e)}`); }
      try { await c.dispose(1000); } catch { /* already gone */ }
    }
    this.setState('stopped');
  }

  async restart(): Promise<void> {
    if (this.starting) { try { await this.starting; } catch { /* restarting anyway */ } }
    this.output.appendLine('[client] restarting the server');
    await this.stop();
    this.restarted.fire();
    await this.start();
    if (this.currentState === 'running') void vscode.window.setStatusBarMessage('AgNews: server restarted', 4000);
  }

  /** The running client, starting it when needed; throws a user-facing error otherwise. */
  async requireClient(): Promise<LanguageClient> {
    if (!this.client || this.currentState !== 'running') await this.start();
    if (!this.client || this.currentState !== 'running') throw new Error('the AgNews server is not running (see the "AgNews Server" output)');
    return this.client;
  }

  /** Asks agnews/status (model, head, training) for the status bar and report; undefined when not running. */
  async refreshStatus(): Promise<StatusResult | undefined> {
    const c = this.client;
    if (!c || this.currentState !== 'running') return undefined;
    try {
      this.status = await c.sendRequest<StatusResult>(Methods.status, {});
    } catch (e) {
      this.output.appendLine(`[client] ${Methods.status} failed: ${errorMessage(e)}`);
    }
    this.changed.fire();
    return this.status;
  }

  /** Makes VS Code ask for the inline labels of the visible editors again (a setting or the head changed). */
  refreshCodeLenses(): void {
    const c = this.client;
    if (!c || this.currentState !== 'running') return;
    const feature = c.getFeature(CodeLensRequest.method);
    const fired = new Set<unknown>();
    for (const editor of vscode.window.visibleTextEditors) {
      const shape = feature.getProvider(editor.document);
      if (!shape || fired.has(shape.onDidChangeCodeLensEmitter)) continue;
      fired.add(shape.onDidChangeCodeLensEmitter);
      shape.onDidChangeCodeLensEmitter.fire();
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) { try { d.dispose(); } catch { /* disposing anyway */ } }
  }

  private setState(s: ServerState) {
    this.currentState = s;
    if (s !== 'running') this.status = undefined;
    this.changed.fire();
    void vscode.commands.executeCommand('setContext', 'agnews.serverRunning', s === 'running');
  }

  private serverCommand(serverPath: string): ServerCommand {
    const isFile = (p: string) => { try { return fs.statSync(p).isFile(); } catch { return false; } };
    const isDirectory = (p: string) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } };
    return resolveServerCommand(serverPath, this.extensionPath, { isFile, isDirectory }, pathContext());
  }

  /** Checks the start command before handing it to the language client, so the user gets a message with the fix. */
  private async preflight(cmd: ServerCommand): Promise<string | undefined> {
    if (cmd.needsDotnet) {
      // Only a missing `dotnet` matters here (a runtime without an SDK exits non-zero and is fine).
      if ((await run('dotnet', ['--version'], 15000)).code === 'ENOENT') return DOTNET_MISSING_MESSAGE;
      if (!fs.existsSync(cmd.args[0])) return serverNotFoundMessage(cmd);
      return undefined;
    }
    if (cmd.source === 'path') {
      const r = process.platform === 'win32' ? await run('where', ['agnews'], 5000) : await run('sh', ['-c', 'command -v agnews'], 5000);
      return r.ok ? undefined : serverNotFoundMessage(cmd);
    }
    return fs.existsSync(cmd.command) ? undefined : serverNotFoundMessage(cmd);
  }

  private async doStart(): Promise<void> {
    const s = currentSettings();
    const cmd = this.serverCommand(s.serverPath);
    this.setState('starting');
    this.output.appendLine(`[client] ${fullKey(SETTINGS.serverPath)} = ${JSON.stringify(s.serverPath)} -> ${cmd.command} (${cmd.source})`);
    const problem = await this.preflight(cmd);
    if (problem) {
      this.output.appendLine(`[client] ${problem}`);
      this.setState('failed');
      void this.showFailure(problem);
      return;
    }
    const initializationOptions = toInitializationOptions(s, pathContext());
    this.output.appendLine(`[client] starting: ${cmd.command} ${cmd.args.join(' ')}`);
    this.output.appendLine(`[client] initializationOptions: ${JSON.stringify(initializationOptions)}`);
    const serverOptions: ServerOptions = {
      command: cmd.command,
      args: cmd.args,
      transport: TransportKind.stdio,
      options: { env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(s.languages),
      initializationOptions,
      outputChannel: this.output,
      middleware: {
        // agnews.inlineLabels needs no restart: it is read on each lens request (VS Code re-asks after edits and on refresh).
        provideCodeLenses: (document, token, next) => (currentSettings().inlineLabels ? next(document, token) : []),
        executeCommand: (command, args, next) => (this.executeCommandMiddleware ? this.executeCommandMiddleware(command, args, next) : next(command, args)),
      },
      // We show our own message with the fix; the client's default would pop up its own.
      initializationFailedHandler: (error) => {
        this.output.appendLine(`[client] initialize failed: ${errorMessage(error)}`);
        return false;
      },
    };
    const client = new LanguageClient('agnews', 'AgNews Server', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (this.client !== client) return; // a client being replaced by a restart
      if (e.newState === State.Running) { this.setState('running'); void this.refreshStatus(); }
      else if (e.newState === State.Stopped && this.currentState === 'running') this.setState('stopped');
    });
    try {
      await client.start();
    } catch (e) {
      if (this.client === client) {
        this.output.appendLine(`[client] server failed to start: ${errorMessage(e)}`);
        this.setState('failed');
        this.client = undefined;
        try { await client.dispose(2000); } catch { /* already gone */ }
        void this.showFailure(`AgNews: the server failed to start (${errorMessage(e)}). See the "AgNews Server" output.`);
      }
      return;
    }
    this.output.appendLine(`[client] server running: ${JSON.stringify(client.initializeResult?.serverInfo ?? {})}`);
    if (this.client === client && this.currentState !== 'running') { this.setState('running'); void this.refreshStatus(); }
  }

  private async showFailure(message: string): Promise<void> {
    const pick = await vscode.window.showErrorMessage(message, 'Show Output', 'Open Settings', 'Restart Server');
    if (pick === 'Show Output') this.output.show(true);
    else if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', fullKey(SETTINGS.serverPath));
    else if (pick === 'Restart Server') await this.restart();
  }
}

/** Runs a program; never throws. `code` is the spawn error code (e.g. ENOENT) when it could not start. */
function run(command: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; code?: string }> {
  return new Promise((resolve) => {
    cp.execFile(command, args, { timeout: timeoutMs }, (err) => {
      if (!err) resolve({ ok: true });
      else resolve({ ok: false, code: typeof (err as NodeJS.ErrnoException).code === 'string' ? (err as NodeJS.ErrnoException).code : undefined });
    });
  });
}
