// Train Head: trains a new head on the server (agnews/train) with the training settings, then shows its validation.
import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { currentSettings, pathContext } from '../config';
import { withServerProgress } from '../serverProgress';
import { basename, pct } from '../lib/format';
import { resolvePath } from '../lib/paths';
import { Methods, type TrainParams, type TrainResult } from '../lib/protocol';
import { requestParamsFromSettings } from '../lib/settings';

/** `data`: paths or URIs passed by executeCommand (tests, other extensions); else agnews.dataFolder; else ask. */
export async function trainHead({ server, reports, output }: CommandContext, data?: vscode.Uri | string | (vscode.Uri | string)[]): Promise<void> {
  const s = currentSettings();
  const ctx = pathContext();
  const given = (Array.isArray(data) ? data : data ? [data] : [])
    .map((d) => (d instanceof vscode.Uri ? d.fsPath : resolvePath(d, ctx)))
    .filter((d) => d !== '');
  const dataPaths = given.length > 0 ? given : await pickData('AgNews: training data (folders or files)', s.dataFolder ? resolvePath(s.dataFolder, ctx) : '');
  if (dataPaths.length === 0) return;
  const client = await server.requireClient();
  const params: TrainParams = { ...requestParamsFromSettings(Methods.train, s, ctx), dataPaths, skipBadRows: true };
  output.appendLine(`[train] ${JSON.stringify(params)}`);
  const result = await withServerProgress<TrainResult>(
    `AgNews: training head on ${dataPaths.map((p) => basename(p)).join(' + ')}`, client, Methods.train, params, output,
    // The status bar shows "training" while it runs (agnews/status.training).
    () => setTimeout(() => void server.refreshStatus(), 500));
  reports.setTraining(result, dataPaths.join(', '));
  output.appendLine(`[train] new head ${result.headPath}: validation accuracy ${pct(result.validation.accuracy)}, macro F1 ${result.validation.macroF1.toFixed(3)}`);
  await server.refreshStatus();
  server.refreshCodeLenses(); // the inline labels come from the new head now
  const pick = await vscode.window.showInformationMessage(
    `AgNews: new head ${basename(result.headPath)} trained: validation accuracy ${pct(result.validation.accuracy)} (${result.trainCount} training examples).`, 'Show Report');
  if (pick === 'Show Report') await reports.show();
}

/** The preset folder, or the files and folders the user picks (several allowed). */
async function pickData(title: string, preset: string): Promise<string[]> {
  if (preset) return [preset];
  const r = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: true, canSelectMany: true, title, openLabel: 'Use' });
  return (r ?? []).map((u) => u.fsPath);
}
