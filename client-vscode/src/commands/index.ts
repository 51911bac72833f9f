// Every command, registered from one list. Handlers live in their own modules; a failure becomes one message.
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import type { CommandContext, CommandHandler } from './context';
import { classifyFile, classifySelection } from './classify';
import { evaluate } from './evaluate';
import { toggleInlineLabels } from './inlineLabels';
import { labelFolder } from './labelFolder';
import { labelOpenDocuments } from './labelOpenDocuments';
import { reviewUncertain } from './review';
import { selectModel } from './selectModel';
import { trainHead } from './train';
import { COMMAND_IDS, type CommandName, commandErrorMessage } from '../lib/commands';
import { errorMessage } from '../lib/format';

/** One handler per contributed command (the type makes a missing one a compile error). */
const HANDLERS: { [K in CommandName]: CommandHandler } = {
  classifySelection,
  classifyFile,
  labelOpenDocuments,
  labelFolder,
  toggleInlineLabels,
  trainHead,
  evaluate,
  showReport: ({ reports }) => reports.show(),
  selectModel,
  reviewUncertain,
  restartServer: ({ server }) => server.restart(),
  showOutput: ({ output }) => output.show(true),
};

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return (Object.keys(HANDLERS) as CommandName[]).map((name) => {
    const id = COMMAND_IDS[name];
    return vscode.commands.registerCommand(id, async (...args: any[]) => {
      try { return await HANDLERS[name](ctx, ...args); } catch (e) { reportError(ctx.output, id, e); }
    });
  });
}

function reportError(output: vscode.OutputChannel, commandId: string, e: unknown): void {
  const m = commandErrorMessage(commandId, {
    cancelled: e instanceof vscode.CancellationError,
    code: e instanceof ResponseError ? e.code : undefined,
    message: errorMessage(e),
  });
  output.appendLine(`[client] ${commandId}: ${m.log}`);
  if (m.level === 'info') void vscode.window.showInformationMessage(m.text);
  else void vscode.window.showErrorMessage(m.text);
}
