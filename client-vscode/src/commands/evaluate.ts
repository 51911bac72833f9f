// Evaluate: scores the loaded head on a labelled file (agnews/evaluate) and opens the report.
import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { currentSettings, pathContext } from '../config';
import { withServerProgress } from '../serverProgress';
import { basename, pct } from '../lib/format';
import { resolvePath } from '../lib/paths';
import { type EvaluateParams, type EvaluateResult, Methods } from '../lib/protocol';
import { requestParamsFromSettings } from '../lib/settings';

/** `file`: a path or URI passed by executeCommand or the explorer; else ask, starting in agnews.dataFolder. */
export async function evaluate({ server, reports, output }: CommandContext, file?: vscode.Uri | string): Promise<void> {
  const s = currentSettings();
  const ctx = pathContext();
  let dataPath: string | undefined;
  if (file instanceof vscode.Uri) dataPath = file.fsPath;
  else if (typeof file === 'string' && file) dataPath = resolvePath(file, ctx);
  else {
    const defaultUri = s.dataFolder ? vscode.Uri.file(resolvePath(s.dataFolder, ctx)) : vscode.workspace.workspaceFolders?.[0]?.uri;
    const r = await vscode.window.showOpenDialog({
      canSelectFiles: true, canSelectFolders: false, canSelectMany: false, defaultUri, title: 'AgNews: labelled file to evaluate', openLabel: 'Evaluate',
      filters: { 'Labelled data': ['csv', 'tsv', 'jsonl', 'json', 'parquet'], 'All files': ['*'] },
    });
    dataPath = r?.[0]?.fsPath;
  }
  if (!dataPath) return;
  const client = await server.requireClient();
  const params: EvaluateParams = { ...requestParamsFromSettings(Methods.evaluate, s, ctx), dataPath, skipBadRows: true };
  output.appendLine(`[evaluate] ${JSON.stringify(params)}`);
  const report = await withServerProgress<EvaluateResult>(`AgNews: evaluating ${basename(dataPath)}`, client, Methods.evaluate, params, output);
  output.appendLine(`[evaluate] ${basename(dataPath)}: accuracy ${pct(report.accuracy)}, macro F1 ${report.macroF1.toFixed(3)} on ${report.count}`);
  reports.setEvaluation(report, `Evaluation of ${dataPath}${params.limit ? ` (first ${params.limit} rows)` : ''}`);
  await server.refreshStatus();
  await reports.show();
}
