// The status bar item: server state, model, head and its accuracy; a click opens the report (or the output on failure).
import * as vscode from 'vscode';
import type { AgNewsServer } from './server';
import type { ReportPanel } from './reportPanel';
import { COMMAND_IDS } from './lib/commands';
import { accessibleText, statusBarText } from './lib/format';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly server: AgNewsServer, private readonly reports: ReportPanel) {
    this.item = vscode.window.createStatusBarItem('agnews.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'AgNews';
    this.disposables = [this.item, server.onDidChange(() => this.render()), reports.onDidChange(() => this.render())];
    this.render();
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private render(): void {
    const failed = this.server.state === 'failed';
    const t = statusBarText(this.server.state, this.server.lastStatus, this.reports.latestMetrics);
    this.item.text = t.text;
    this.item.tooltip = t.tooltip;
    this.item.accessibilityInformation = { label: accessibleText(t) };
    this.item.command = failed ? COMMAND_IDS.showOutput : COMMAND_IDS.showReport;
    this.item.backgroundColor = failed ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }
}
