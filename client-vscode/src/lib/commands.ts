// Command ids and the pure parts of commands. No `vscode` import.
import type { ClassifyParams, Position } from './protocol';
import { ErrorCodes } from './protocol';

/** Every command the extension contributes (package.json `contributes.commands`), by handler name. */
export const COMMAND_IDS = {
  classifySelection: 'agnews.classifySelection',
  classifyFile: 'agnews.classifyFile',
  labelOpenDocuments: 'agnews.labelOpenDocuments',
  labelFolder: 'agnews.labelFolderToFile',
  toggleInlineLabels: 'agnews.toggleInlineLabels',
  trainHead: 'agnews.trainHead',
  evaluate: 'agnews.evaluateFile',
  showReport: 'agnews.showReport',
  selectModel: 'agnews.selectModel',
  reviewUncertain: 'agnews.reviewUncertain',
  restartServer: 'agnews.restartServer',
  showOutput: 'agnews.showOutput',
} as const;
export type CommandName = keyof typeof COMMAND_IDS;

/**
 * agnews/classify params for the selected texts; with no selection, the unit a hover at the cursor would classify
 * (paragraph or line), so the server applies the same rule as for hovers.
 */
export function classifyParams(selectedTexts: string[], uri: string, cursor: Position): ClassifyParams {
  if (selectedTexts.length === 0) return { textDocument: { uri }, position: { line: cursor.line, character: cursor.character } };
  return selectedTexts.length === 1 ? { text: selectedTexts[0] } : { texts: selectedTexts };
}

/** What to tell the user about a failed command. `code` is the JSON-RPC error code when the server answered one. */
export function commandErrorMessage(commandId: string, e: { cancelled: boolean; code?: number; message: string }): { level: 'info' | 'error'; text: string; log: string } {
  if (e.cancelled || e.code === ErrorCodes.requestCancelled) {
    // A cancelled training leaves the previous head loaded on the server; say so, since the user may expect none.
    const extra = commandId === COMMAND_IDS.trainHead ? ' The previous head stays loaded.' : '';
    return { level: 'info', text: `AgNews: cancelled.${extra}`, log: 'cancelled' };
  }
  const message = e.code === ErrorCodes.busy ? 'training is already running; wait for it or cancel it' : e.message;
  return { level: 'error', text: `AgNews: ${message}`, log: message };
}

/**
 * $/progress percentages (0-100 for the whole job, never going back) -> the increments VS Code's progress API wants.
 * Returns the increment to report (undefined: none) and the new high-water mark.
 */
export function progressIncrement(last: number, percentage: number | undefined): { increment?: number; last: number } {
  if (typeof percentage !== 'number' || !Number.isFinite(percentage)) return { last };
  const p = Math.max(0, Math.min(100, percentage));
  return p > last ? { increment: p - last, last: p } : { last };
}
