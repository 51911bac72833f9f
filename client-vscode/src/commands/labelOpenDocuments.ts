// Label Open Documents: every open document in the enabled languages, summarised in one Markdown table.
import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { currentSettings } from '../config';
import { basename, errorMessage, LabelledDocument, summaryMarkdown } from '../lib/format';
import { type LabelDocumentParams, type LabelDocumentResult, Methods } from '../lib/protocol';

export async function labelOpenDocuments({ server, output, summaries }: CommandContext): Promise<void> {
  const client = await server.requireClient();
  const languages = new Set(currentSettings().languages);
  const docs = vscode.workspace.textDocuments.filter((d) =>
    (d.uri.scheme === 'file' || d.uri.scheme === 'untitled') && languages.has(d.languageId) && d.getText().trim() !== '');
  const results: LabelledDocument[] = [];
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'AgNews: labelling open documents', cancellable: true },
    async (progress, token) => {
      let i = 0;
      for (const d of docs) {
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        progress.report({ message: `${i + 1}/${docs.length} ${basename(d.uri.path)}`, increment: docs.length ? 100 / docs.length : 100 });
        const name = d.uri.scheme === 'untitled' ? d.uri.path : vscode.workspace.asRelativePath(d.uri);
        const params: LabelDocumentParams = { uri: d.uri.toString(), unit: 'paragraph' };
        try {
          const result = await client.sendRequest<LabelDocumentResult>(Methods.labelDocument, params, token);
          results.push({ name, uri: d.uri.toString(), result });
        } catch (e) {
          if (token.isCancellationRequested) throw new vscode.CancellationError();
          // One unreadable document should not hide the others: it gets an error row.
          results.push({ name, uri: d.uri.toString(), error: errorMessage(e) });
        }
        i++;
      }
    });
  const md = summaryMarkdown(results);
  for (const l of md.split('\n')) if (l.startsWith('|')) output.appendLine(`[label] ${l}`);
  await summaries.open('AgNews labels', md);
}
