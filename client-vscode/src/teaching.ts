// Teaching in place from VS Code: the server's code actions ("Label as X", "Label as a new class...", "Undo the last
// label") run its commands agnews/correct and agnews/undoCorrection, which vscode-languageclient registers as VS Code
// commands. This is their middleware: it asks for a new class's name (the server's action carries none), sends the
// request, and shows the server's message. The review command uses the same correct and undo.
import * as vscode from 'vscode';
import { type ExecuteCommandSignature, ResponseError } from 'vscode-languageclient/node';
import type { AgNewsServer } from './server';
import { commandErrorMessage } from './lib/commands';
import { errorMessage } from './lib/format';
import { type CorrectParams, type CorrectResult, Methods, type UndoCorrectionParams, type UndoCorrectionResult } from './lib/protocol';
import { classNameProblem, correctionNotice, needsClassName, type Notice, undoNotice, withClassName } from './lib/teach';

export class Teaching {
  constructor(private readonly server: AgNewsServer, private readonly output: vscode.OutputChannel) {}

  /** vscode-languageclient's `Middleware.executeCommand`: the server's teaching commands, the others passed on. */
  readonly executeCommand = async (command: string, args: any[], next: ExecuteCommandSignature): Promise<unknown> => {
    if (command === Methods.correct) {
      if (needsClassName(command, args)) {
        const name = await askClassName();
        if (name === undefined) return undefined; // the person closed the input box: nothing is labelled
        args = withClassName(args, name);
      }
      return this.correct(args[0] as CorrectParams);
    }
    if (command === Methods.undoCorrection) return this.undo((args[0] ?? {}) as UndoCorrectionParams);
    return next(command, args);
  };

  /** agnews/correct, then the server's message (a warning for a weak new class); undefined after an error (shown). */
  async correct(params: CorrectParams): Promise<CorrectResult | undefined> {
    try {
      const client = await this.server.requireClient();
      const result = await client.sendRequest<CorrectResult>(Methods.correct, params);
      this.output.appendLine(`[teach] ${result.label}: ${JSON.stringify(result.text.slice(0, 80))} -> ${result.dataset} (${result.corrections} corrections)`);
      show(correctionNotice(result));
      return result;
    } catch (e) {
      this.failed(Methods.correct, e);
      return undefined;
    }
  }

  /** agnews/undoCorrection for the corrections file of a document's folder, then what was undone; undefined after an error. */
  async undo(params: UndoCorrectionParams): Promise<UndoCorrectionResult | undefined> {
    try {
      const client = await this.server.requireClient();
      const result = await client.sendRequest<UndoCorrectionResult>(Methods.undoCorrection, params);
      this.output.appendLine(`[teach] undo: ${result.undone ? `${result.label} of ${JSON.stringify((result.text ?? '').slice(0, 80))}` : 'nothing to undo'} (${result.dataset})`);
      show(undoNotice(result));
      return result;
    } catch (e) {
      this.failed(Methods.undoCorrection, e);
      return undefined;
    }
  }

  private failed(method: string, e: unknown): void {
    const m = commandErrorMessage(method, {
      cancelled: e instanceof vscode.CancellationError,
      code: e instanceof ResponseError ? e.code : undefined,
      message: errorMessage(e),
    });
    this.output.appendLine(`[teach] ${method}: ${m.log}`);
    if (m.level === 'info') void vscode.window.showInformationMessage(m.text);
    else void vscode.window.showErrorMessage(m.text);
  }
}

/** Asks for a new class's name (not empty, one short line); undefined when the person closes the box. */
export async function askClassName(paragraph?: string): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title: 'AgNews: new class',
    prompt: paragraph ? `A class for "${paragraph}"` : 'The name of the class for this paragraph',
    placeHolder: 'e.g. Entertainment',
    ignoreFocusOut: true,
    validateInput: (value) => classNameProblem(value),
  });
  return name === undefined || classNameProblem(name) ? undefined : name.trim();
}

function show(notice: Notice): void {
  if (notice.level === 'warning') void vscode.window.showWarningMessage(notice.text);
  else void vscode.window.showInformationMessage(notice.text);
}
