// The `agnews.*` settings as VS Code holds them, read through the one settings table (lib/settings.ts).
import * as os from 'os';
import * as vscode from 'vscode';
import type { PathContext } from './lib/paths';
import { type AgNewsSettings, readSettings, SECTION } from './lib/settings';

/** The current settings, normalised. Read afresh each time, so a command sees the values of the moment. */
export function currentSettings(): AgNewsSettings {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  return readSettings((key) => configuration.get(key));
}

/** What relative and `~` paths in settings are resolved against. */
export function pathContext(): PathContext {
  return { workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, home: os.homedir() };
}
