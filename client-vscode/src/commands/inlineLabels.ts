// Toggle Inline Labels: flips agnews.inlineLabels where it is set (workspace or user); the lenses follow without a restart.
import * as vscode from 'vscode';
import { currentSettings } from '../config';
import { SECTION, SETTINGS } from '../lib/settings';

export async function toggleInlineLabels(): Promise<void> {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  const next = !currentSettings().inlineLabels;
  const where = configuration.inspect(SETTINGS.inlineLabels.key);
  // Writing the user setting under a workspace value would change nothing the user sees.
  const target = where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await configuration.update(SETTINGS.inlineLabels.key, next, target);
  void vscode.window.setStatusBarMessage(`AgNews: inline labels ${next ? 'on' : 'off'}`, 3000);
}
