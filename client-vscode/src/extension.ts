// AgNews VS Code client: starts the AgNewsLsp server over stdio and wires commands, hover, progress, status bar and report.
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  State,
  TransportKind,
  WorkDoneProgress,
} from 'vscode-languageclient/node';
import {
  ClassifyResult,
  ErrorCodes,
  EvaluateParams,
  LabelDocumentResult,
  Methods,
  Report,
  StatusResult,
  TrainParams,
  TrainResult,
} from './lib/protocol';
import { AgNewsSettings, changedRestartKeys, readSettings, requestParamsFromSettings, SECTION, toInitializationOptions } from './lib/settings';
import { resolvePath } from './lib/paths';
import { documentSelector, DOTNET_MISSING_MESSAGE, resolveServerCommand, ServerCommand, serverNotFoundMessage } from './lib/serverCommand';
import {
  accessibleText,
  basename,
  errorMessage,
  LabelledDocument,
  pct,
  predictionSummary,
  ServerState,
  statusBarText,
  summaryMarkdown,
} from './lib/format';
import { makeNonce, renderReportHtml, ReportModel } from './lib/report';

const SUMMARY_SCHEME = 'agnews-summary';

class AgNewsExtension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private state: ServerState = 'stopped';
  private lastStatus: StatusResult | undefined;
  private lastReport: ReportModel | undefined;
  private lastTrain: TrainResult | undefined;
  private readonly output: vscode.OutputChannel;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private reportPanel: vscode.WebviewPanel | undefined;
  private readonly summaries = new Map<string, string>();
  private summaryCounter = 0;
  private starting: Promise<void> | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('AgNews Server');
    this.statusItem = vscode.window.createStatusBarItem('agnews.status', vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = 'AgNews';
    this.statusItem.command = 'agnews.showReport';
    this.disposables.push(this.output, this.statusItem);
    this.updateStatusBar();
    this.statusItem.show();
  }

  settings(): AgNewsSettings {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    return readSettings((k) => cfg.get(k));
  }

  pathContext() {
    return { workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, home: os.homedir() };
  }

  register(): void {
    const reg = (id: string, fn: (...args: any[]) => unknown) =>
      this.disposables.push(vscode.commands.registerCommand(id, async (...args: any[]) => {
        try { return await fn(...args); } catch (e) { this.reportError(id, e); }
      }));
    reg('agnews.classifySelection', () => this.classifySelection());
    reg('agnews.classifyFile', (uri?: vscode.Uri) => this.classifyFile(uri));
    reg('agnews.labelOpenDocuments', () => this.labelOpenDocuments());
    reg('agnews.trainHead', (data?: vscode.Uri | string | (vscode.Uri | string)[]) => this.trainHead(data));
    reg('agnews.evaluateFile', (file?: vscode.Uri | string) => this.evaluate(file));
    reg('agnews.showReport', () => this.showReport());
    reg('agnews.selectModel', () => this.selectModel());
    reg('agnews.restartServer', () => this.restart());
    reg('agnews.showOutput', () => this.output.show(true));
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, {
      provideTextDocumentContent: (uri) => this.summaries.get(uri.toString()) ?? '',
    }));
    this.disposables.push(vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme === SUMMARY_SCHEME) this.summaries.delete(d.uri.toString());
    }));
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      const changed = changedRestartKeys((k) => e.affectsConfiguration(k));
      if (changed.length) {
        this.output.appendLine(`[client] settings changed (${changed.join(', ')}); restarting the server`);
        void this.restart();
      }
    }));
  }

  // ---- server lifecycle -------------------------------------------------------------------------------------------

  private serverCommand(): ServerCommand {
    const s = this.settings();
    const isFile = (p: string) => { try { return fs.statSync(p).isFile(); } catch { return false; } };
    const isDirectory = (p: string) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } };
    return resolveServerCommand(s.serverPath, this.context.extensionPath, { isFile, isDirectory }, this.pathContext());
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

  async start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.doStart().finally(() => { this.starting = undefined; });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const s = this.settings();
    const cmd = this.serverCommand();
    this.setState('starting');
    this.output.appendLine(`[client] agnews.server.path = ${JSON.stringify(s.serverPath)} -> ${cmd.command} (${cmd.source})`);
    const problem = await this.preflight(cmd);
    if (problem) {
      this.output.appendLine(`[client] ${problem}`);
      this.setState('failed');
      void this.showFailure(problem);
      return;
    }
    const initializationOptions = toInitializationOptions(s, this.pathContext());
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
      // We show our own message with the fix; the client's default would pop up its own.
      initializationFailedHandler: (error) => {
        this.output.appendLine(`[client] initialize failed: ${errorMessage(error)}`);
        return false;
      },
    };
    const client = new LanguageClient('agnews', 'AgNews Server', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Running) { this.setState('running'); void this.refreshStatus(); }
      else if (e.newState === State.Stopped && this.state === 'running') this.setState('stopped');
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
    if (this.client === client && this.state !== 'running') { this.setState('running'); void this.refreshStatus(); }
  }

  private async showFailure(message: string): Promise<void> {
    const pick = await vscode.window.showErrorMessage(message, 'Show Output', 'Open Settings', 'Restart Server');
    if (pick === 'Show Output') this.output.show(true);
    else if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'agnews.server.path');
    else if (pick === 'Restart Server') await this.restart();
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      try { await c.stop(5000); } catch (e) { this.output.appendLine(`[client] stop: ${errorMessage(e)}`); }
      try { await c.dispose(1000); } catch { /* ignore */ }
    }
    this.setState('stopped');
  }

  async restart(): Promise<void> {
    if (this.starting) { try { await this.starting; } catch { /* ignore */ } }
    this.output.appendLine('[client] restarting the server');
    await this.stop();
    this.lastReport = undefined;
    this.lastTrain = undefined;
    await this.start();
    if (this.state === 'running') void vscode.window.setStatusBarMessage('AgNews: server restarted', 4000);
  }

  private setState(s: ServerState) {
    this.state = s;
    if (s !== 'running') this.lastStatus = undefined;
    this.updateStatusBar();
    void vscode.commands.executeCommand('setContext', 'agnews.serverRunning', s === 'running');
  }

  private updateStatusBar() {
    const t = statusBarText(this.state, this.lastStatus, this.lastReport?.report ?? undefined);
    this.statusItem.text = t.text;
    this.statusItem.tooltip = t.tooltip;
    this.statusItem.accessibilityInformation = { label: accessibleText(t) };
    this.statusItem.command = this.state === 'failed' ? 'agnews.showOutput' : 'agnews.showReport';
    this.statusItem.backgroundColor = this.state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  async refreshStatus(): Promise<StatusResult | undefined> {
    const c = this.client;
    if (!c || this.state !== 'running') return undefined;
    try {
      this.lastStatus = await c.sendRequest<StatusResult>(Methods.status, {});
    } catch (e) {
      this.output.appendLine(`[client] agnews/status failed: ${errorMessage(e)}`);
    }
    this.updateStatusBar();
    return this.lastStatus;
  }

  /** The running client, starting it when needed; throws a user-facing error otherwise. */
  private async requireClient(): Promise<LanguageClient> {
    if (!this.client || this.state !== 'running') await this.start();
    if (!this.client || this.state !== 'running') throw new Error('the AgNews server is not running (see the "AgNews Server" output)');
    return this.client;
  }

  private reportError(what: string, e: unknown) {
    if (e instanceof vscode.CancellationError || (e instanceof ResponseError && e.code === ErrorCodes.requestCancelled)) {
      this.output.appendLine(`[client] ${what}: cancelled`);
      const extra = what === 'agnews.trainHead' ? ' The previous head stays loaded.' : '';
      void vscode.window.showInformationMessage(`AgNews: cancelled.${extra}`);
      return;
    }
    const msg = e instanceof ResponseError && e.code === ErrorCodes.busy ? 'training is already running; wait for it or cancel it' : errorMessage(e);
    this.output.appendLine(`[client] ${what}: ${msg}`);
    void vscode.window.showErrorMessage(`AgNews: ${msg}`);
  }

  // ---- commands ----------------------------------------------------------------------------------------------------

  private async classifySelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) { void vscode.window.showWarningMessage('AgNews: open an editor and select some text.'); return; }
    const client = await this.requireClient();
    const texts = editor.selections.filter((s) => !s.isEmpty).map((s) => editor.document.getText(s));
    // No selection: the server classifies the unit a hover at the cursor would (paragraph or line), by the same rule.
    const params = texts.length === 0
      ? { textDocument: { uri: editor.document.uri.toString() }, position: { line: editor.selection.active.line, character: editor.selection.active.character } }
      : texts.length === 1 ? { text: texts[0] } : { texts };
    const r = await client.sendRequest<ClassifyResult>(Methods.classify, params);
    if (r.predictions.length === 0) { void vscode.window.showWarningMessage('AgNews: nothing to classify here: select some text.'); return; }
    const lines = r.predictions.map((p, i) => (texts.length > 1 ? `#${i + 1}: ` : '') + predictionSummary(p));
    for (const l of lines) this.output.appendLine(`[classify] ${l}`);
    void vscode.window.showInformationMessage(`AgNews: ${lines.join('  |  ')}`);
  }

  private async classifyFile(uri?: vscode.Uri): Promise<void> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target) { void vscode.window.showWarningMessage('AgNews: open a file to classify.'); return; }
    const client = await this.requireClient();
    const r = await client.sendRequest<LabelDocumentResult>(Methods.labelDocument, { uri: target.toString(), unit: 'paragraph' });
    const name = vscode.workspace.asRelativePath(target);
    this.output.appendLine(`[classifyFile] ${name}: ${predictionSummary(r.document)}`);
    for (const p of r.paragraphs ?? []) this.output.appendLine(`  line ${p.range.start.line + 1}: ${predictionSummary(p.prediction)}`);
    const pick = await vscode.window.showInformationMessage(`AgNews: ${name}: ${predictionSummary(r.document)}`, 'Details');
    if (pick === 'Details') this.output.show(true);
  }

  private async labelOpenDocuments(): Promise<void> {
    const client = await this.requireClient();
    const langs = new Set(this.settings().languages);
    const docs = vscode.workspace.textDocuments.filter((d) =>
      (d.uri.scheme === 'file' || d.uri.scheme === 'untitled') && langs.has(d.languageId) && d.getText().trim() !== '');
    const results: LabelledDocument[] = [];
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'AgNews: labelling open documents', cancellable: true },
      async (progress, token) => {
        let i = 0;
        for (const d of docs) {
          if (token.isCancellationRequested) throw new vscode.CancellationError();
          progress.report({ message: `${i + 1}/${docs.length} ${basename(d.uri.path)}`, increment: docs.length ? 100 / docs.length : 100 });
          const name = d.uri.scheme === 'untitled' ? d.uri.path : vscode.workspace.asRelativePath(d.uri);
          try {
            const result = await client.sendRequest<LabelDocumentResult>(Methods.labelDocument, { uri: d.uri.toString(), unit: 'paragraph' }, token);
            results.push({ name, uri: d.uri.toString(), result });
          } catch (e) {
            if (token.isCancellationRequested) throw new vscode.CancellationError();
            results.push({ name, uri: d.uri.toString(), error: errorMessage(e) });
          }
          i++;
        }
      });
    const md = summaryMarkdown(results);
    for (const l of md.split('\n')) if (l.startsWith('|')) this.output.appendLine(`[label] ${l}`);
    const uri = vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/AgNews labels ${++this.summaryCounter}.md` });
    this.summaries.set(uri.toString(), md);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  /** The preset folder, or the files and folders the user picks (several allowed). */
  private async pickData(title: string, preset: string): Promise<string[]> {
    if (preset) return [resolvePath(preset, this.pathContext())];
    const r = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: true, canSelectMany: true, title, openLabel: 'Use' });
    return (r ?? []).map((u) => u.fsPath);
  }

  private async trainHead(data?: vscode.Uri | string | (vscode.Uri | string)[]): Promise<void> {
    const s = this.settings();
    const given = (Array.isArray(data) ? data : data ? [data] : [])
      .map((d) => (d instanceof vscode.Uri ? d.fsPath : resolvePath(d, this.pathContext())))
      .filter((d) => d !== '');
    const dataPaths = given.length > 0 ? given : await this.pickData('AgNews: training data (folders or files)', s.dataFolder);
    if (dataPaths.length === 0) return;
    const dataPath = dataPaths.join(', ');
    const client = await this.requireClient();
    const params: TrainParams = { ...requestParamsFromSettings(Methods.train, s, this.pathContext()), dataPaths, skipBadRows: true };
    this.output.appendLine(`[train] ${JSON.stringify(params)}`);
    const result = await this.withServerProgress<TrainResult>(`AgNews: training head on ${dataPaths.map((p) => basename(p)).join(' + ')}`, client, Methods.train, params);
    this.lastTrain = result;
    this.lastReport = { title: 'AgNews training report', subtitle: `Validation after training on ${dataPath}`, report: result.validation, train: result, generatedAt: new Date() };
    this.output.appendLine(`[train] new head ${result.headPath}: validation accuracy ${pct(result.validation.accuracy)}, macro F1 ${result.validation.macroF1.toFixed(3)}`);
    await this.refreshStatus();
    if (this.reportPanel) this.renderReport();
    const pick = await vscode.window.showInformationMessage(
      `AgNews: new head ${basename(result.headPath)} trained: validation accuracy ${pct(result.validation.accuracy)} (${result.trainCount} training examples).`, 'Show Report');
    if (pick === 'Show Report') this.showReport();
  }

  private async evaluate(file?: vscode.Uri | string): Promise<void> {
    const s = this.settings();
    let dataPath: string | undefined;
    if (file instanceof vscode.Uri) dataPath = file.fsPath;
    else if (typeof file === 'string' && file) dataPath = resolvePath(file, this.pathContext());
    else {
      const defaultUri = s.dataFolder ? vscode.Uri.file(resolvePath(s.dataFolder, this.pathContext())) : vscode.workspace.workspaceFolders?.[0]?.uri;
      const r = await vscode.window.showOpenDialog({
        canSelectFiles: true, canSelectFolders: false, canSelectMany: false, defaultUri, title: 'AgNews: labelled file to evaluate', openLabel: 'Evaluate',
        filters: { 'Labelled data': ['csv', 'tsv', 'jsonl', 'json', 'parquet'], 'All files': ['*'] },
      });
      dataPath = r?.[0]?.fsPath;
    }
    if (!dataPath) return;
    const client = await this.requireClient();
    const params: EvaluateParams = { ...requestParamsFromSettings(Methods.evaluate, s, this.pathContext()), dataPath, skipBadRows: true };
    this.output.appendLine(`[evaluate] ${JSON.stringify(params)}`);
    const report = await this.withServerProgress<Report>(`AgNews: evaluating ${basename(dataPath)}`, client, Methods.evaluate, params);
    this.output.appendLine(`[evaluate] ${basename(dataPath)}: accuracy ${pct(report.accuracy)}, macro F1 ${report.macroF1.toFixed(3)} on ${report.count}`);
    this.lastReport = { title: 'AgNews evaluation report', subtitle: `Evaluation of ${dataPath}${s.limit ? ` (first ${s.limit} rows)` : ''}`, report, train: this.lastTrain, generatedAt: new Date() };
    await this.refreshStatus();
    this.showReport();
  }

  /** Sends a long request with our own workDoneToken, mirrors $/progress into a cancellable notification. */
  private async withServerProgress<R>(title: string, client: LanguageClient, method: string, params: { workDoneToken?: string | number }): Promise<R> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const workDoneToken = `agnews-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
      let last = 0;
      const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
        if (v.kind === 'end') { progress.report({ message: v.message }); return; }
        const p = typeof v.percentage === 'number' ? Math.max(0, Math.min(100, v.percentage)) : undefined;
        const increment = p !== undefined && p > last ? p - last : undefined;
        if (p !== undefined && p > last) last = p;
        progress.report({ message: v.message ?? (v.kind === 'begin' ? v.title : undefined), increment });
      });
      const onCancel = token.onCancellationRequested(() => {
        this.output.appendLine(`[client] cancelling ${method}`);
        // $/cancelRequest goes out through the token below; the progress cancel is for servers that only watch that.
        void client.sendNotification('window/workDoneProgress/cancel', { token: workDoneToken }).catch(() => undefined);
      });
      try {
        const result = client.sendRequest<R>(method, { ...params, workDoneToken }, token);
        // The status bar shows "training" while it runs (agnews/status.training).
        if (method === Methods.train) setTimeout(() => void this.refreshStatus(), 500);
        return await result;
      } catch (e) {
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        throw e;
      } finally {
        sub.dispose();
        onCancel.dispose();
      }
    });
  }

  private async showReport(): Promise<void> {
    if (!this.lastReport?.report && this.state === 'running') {
      const st = await this.refreshStatus();
      if (st?.lastMetrics) this.lastReport = { title: 'AgNews report', subtitle: `Last metrics of head ${st.headPath ?? '(none)'}`, report: st.lastMetrics, train: this.lastTrain, generatedAt: new Date() };
    }
    if (!this.reportPanel) {
      this.reportPanel = vscode.window.createWebviewPanel('agnews.report', 'AgNews Report', vscode.ViewColumn.Active,
        { enableScripts: false, enableCommandUris: false, localResourceRoots: [] });
      this.reportPanel.onDidDispose(() => { this.reportPanel = undefined; });
    } else {
      this.reportPanel.reveal();
    }
    this.renderReport();
  }

  private renderReport() {
    if (!this.reportPanel) return;
    const model: ReportModel = this.lastReport ?? { title: 'AgNews report', train: this.lastTrain };
    this.reportPanel.webview.html = renderReportHtml(model, { nonce: makeNonce(), cspSource: this.reportPanel.webview.cspSource });
  }

  private async selectModel(): Promise<void> {
    const s = this.settings();
    const items: (vscode.QuickPickItem & { action: string })[] = [
      { label: '$(file) Choose a model file…', description: 'e.g. model.onnx / model.safetensors', action: 'file' },
      { label: '$(folder) Choose a model folder…', description: 'a folder with the model and tokenizer', action: 'folder' },
      { label: '$(discard) Use the server default', description: s.modelPath ? `currently ${s.modelPath}` : 'current', action: 'default' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'AgNews: Select Model', placeHolder: 'Encoder model for the server' });
    if (!pick) return;
    let value = '';
    if (pick.action !== 'default') {
      const r = await vscode.window.showOpenDialog({ canSelectFiles: pick.action === 'file', canSelectFolders: pick.action === 'folder', canSelectMany: false, title: 'AgNews: model' });
      if (!r?.[0]) return;
      value = r[0].fsPath;
    }
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    // The configuration change restarts the server with the new initializationOptions.
    await vscode.workspace.getConfiguration('agnews').update('modelPath', value, target);
    void vscode.window.setStatusBarMessage(`AgNews: model ${value || 'default'}; restarting the server`, 4000);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) { try { d.dispose(); } catch { /* ignore */ } }
    this.reportPanel?.dispose();
  }

  async deactivate(): Promise<void> {
    await this.stop();
    this.dispose();
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

let ext: AgNewsExtension | undefined;

export async function activate(context: vscode.ExtensionContext) {
  ext = new AgNewsExtension(context);
  ext.register();
  context.subscriptions.push({ dispose: () => ext?.dispose() });
  // Don't block activation on the server (it loads a model): start in the background.
  void ext.start();
  return { restart: () => ext?.restart(), refreshStatus: () => ext?.refreshStatus() };
}

export async function deactivate(): Promise<void> {
  await ext?.deactivate();
  ext = undefined;
}
