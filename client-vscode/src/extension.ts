// AgNews VS Code client: wires the server lifecycle, the commands, teaching, the report panel and the status bar together.
// Logic that needs no `vscode` lives in lib/ (unit-tested); each module here is one concern.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ReportPanel } from './reportPanel';
import { AgNewsServer } from './server';
import { StatusBar } from './statusBar';
import { SummaryDocuments } from './summaryDocuments';
import { Teaching } from './teaching';

let server: AgNewsServer | undefined;

export async function activate(context: vscode.ExtensionContext) {
  const output = vscode.window.createOutputChannel('AgNews Server');
  const agnews = new AgNewsServer(context.extensionPath, output);
  server = agnews;
  const reports = new ReportPanel(agnews);
  const summaries = new SummaryDocuments();
  // The server's teaching commands (its code actions) ask for a new class's name and show the answer.
  const teaching = new Teaching(agnews, output);
  agnews.executeCommandMiddleware = teaching.executeCommand;
  context.subscriptions.push(
    output, agnews, reports, summaries,
    new StatusBar(agnews, reports),
    agnews.onDidRestart(() => reports.clear()),
    ...registerCommands({ server: agnews, reports, output, summaries, teaching }),
  );
  // Don't block activation on the server (it loads a model): start in the background.
  void agnews.start();
  return { restart: () => agnews.restart(), refreshStatus: () => agnews.refreshStatus() };
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
