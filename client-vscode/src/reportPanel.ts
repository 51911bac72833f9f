// The report webview (confusion matrix, per-class metrics, training curves) and the results it shows.
import * as vscode from 'vscode';
import type { AgNewsServer } from './server';
import type { Report, TrainResult } from './lib/protocol';
import { makeNonce, renderReportHtml, ReportModel } from './lib/report';

export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private report: ReportModel | undefined;
  private lastTrain: TrainResult | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** The latest metrics changed (the status bar shows their accuracy). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly server: AgNewsServer) {}

  /** Metrics of the latest train or evaluate run of this session. */
  get latestMetrics(): Report | undefined { return this.report?.report ?? undefined; }

  /** A finished training: its validation becomes the report; an open panel is updated in place. */
  setTraining(result: TrainResult, dataDescription: string): void {
    this.lastTrain = result;
    this.set({ title: 'AgNews training report', subtitle: `Validation after training on ${dataDescription}`, report: result.validation, train: result, generatedAt: new Date() });
  }

  /** A finished evaluation; the last training's curves stay below it. */
  setEvaluation(report: Report, subtitle: string): void {
    this.set({ title: 'AgNews evaluation report', subtitle, report, train: this.lastTrain, generatedAt: new Date() });
  }

  /** A restarted server has other heads and metrics: forget this session's results. */
  clear(): void {
    this.report = undefined;
    this.lastTrain = undefined;
    this.changed.fire();
  }

  /** Opens (or reveals) the panel. Without results of this session, shows the server's last metrics for its head. */
  async show(): Promise<void> {
    if (!this.report?.report && this.server.state === 'running') {
      const st = await this.server.refreshStatus();
      if (st?.lastMetrics) this.report = { title: 'AgNews report', subtitle: `Last metrics of head ${st.headPath ?? '(none)'}`, report: st.lastMetrics, train: this.lastTrain, generatedAt: new Date() };
    }
    if (!this.panel) {
      // No scripts and no local resources: the report is static HTML/SVG under a strict Content Security Policy.
      this.panel = vscode.window.createWebviewPanel('agnews.report', 'AgNews Report', vscode.ViewColumn.Active,
        { enableScripts: false, enableCommandUris: false, localResourceRoots: [] });
      this.panel.onDidDispose(() => { this.panel = undefined; });
    } else {
      this.panel.reveal();
    }
    this.render();
  }

  dispose(): void {
    this.panel?.dispose();
    this.changed.dispose();
  }

  private set(model: ReportModel): void {
    this.report = model;
    this.changed.fire();
    this.render();
  }

  private render(): void {
    if (!this.panel) return;
    const model: ReportModel = this.report ?? { title: 'AgNews report', train: this.lastTrain };
    this.panel.webview.html = renderReportHtml(model, { nonce: makeNonce(), cspSource: this.panel.webview.cspSource });
  }
}
