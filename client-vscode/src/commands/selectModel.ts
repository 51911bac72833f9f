// Select Model: sets agnews.modelPath; the configuration change restarts the server with it.
import * as vscode from 'vscode';
import { currentSettings } from '../config';
import { SECTION, SETTINGS } from '../lib/settings';

export async function selectModel(): Promise<void> {
  const s = currentSettings();
  const items: (vscode.QuickPickItem & { action: 'file' | 'folder' | 'default' })[] = [
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
  await vscode.workspace.getConfiguration(SECTION).update(SETTINGS.modelPath.key, value, target);
  void vscode.window.setStatusBarMessage(`AgNews: model ${value || 'default'}; restarting the server`, 4000);
}
