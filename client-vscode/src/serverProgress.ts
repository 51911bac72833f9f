// Long requests (train, evaluate): our own workDoneToken, $/progress mirrored into a cancellable notification.
import * as vscode from 'vscode';
import { LanguageClient, WorkDoneProgress } from 'vscode-languageclient/node';
import { progressIncrement } from './lib/commands';
import type { ProgressToken } from './lib/protocol';

export async function withServerProgress<R>(
  title: string,
  client: LanguageClient,
  method: string,
  params: { workDoneToken?: ProgressToken },
  output: vscode.OutputChannel,
  onSent?: () => void,
): Promise<R> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const workDoneToken = `agnews-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
    let last = 0;
    const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
      if (v.kind === 'end') { progress.report({ message: v.message }); return; }
      const step = progressIncrement(last, v.percentage);
      last = step.last;
      progress.report({ message: v.message ?? (v.kind === 'begin' ? v.title : undefined), increment: step.increment });
    });
    const onCancel = token.onCancellationRequested(() => {
      output.appendLine(`[client] cancelling ${method}`);
      // $/cancelRequest goes out through the token below; the progress cancel is for servers that only watch that.
      void client.sendNotification('window/workDoneProgress/cancel', { token: workDoneToken }).catch(() => undefined);
    });
    try {
      const result = client.sendRequest<R>(method, { ...params, workDoneToken }, token);
      onSent?.();
      return await result;
    } catch (e) {
      if (token.isCancellationRequested) throw new vscode.CancellationError();
      throw e;
    } finally {
      sub.dispose();
      onCancel.dispose();
    }
  });
}
