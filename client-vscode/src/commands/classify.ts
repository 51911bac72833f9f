// Classify Selection and Classify File.
import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { classifyParams } from '../lib/commands';
import { predictionSummary } from '../lib/format';
import { type ClassifyResult, type LabelDocumentParams, type LabelDocumentResult, Methods } from '../lib/protocol';

export async function classifySelection({ server, output }: CommandContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) { void vscode.window.showWarningMessage('AgNews: open an editor and select some text.'); return; }
  const client = await server.requireClient();
  const texts = editor.selections.filter((s) => !s.isEmpty).map((s) => editor.document.getText(s));
  const params = classifyParams(texts, editor.document.uri.toString(), editor.selection.active);
  const r = await client.sendRequest<ClassifyResult>(Methods.classify, params);
  if (r.predictions.length === 0) { void vscode.window.showWarningMessage('AgNews: nothing to classify here: select some text.'); return; }
  const lines = r.predictions.map((p, i) => (texts.length > 1 ? `#${i + 1}: ` : '') + predictionSummary(p));
  for (const l of lines) output.appendLine(`[classify] ${l}`);
  void vscode.window.showInformationMessage(`AgNews: ${lines.join('  |  ')}`);
}

/** The file from the explorer's context menu, else the active editor's. */
export async function classifyFile({ server, output }: CommandContext, uri?: vscode.Uri): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) { void vscode.window.showWarningMessage('AgNews: open a file to classify.'); return; }
  const client = await server.requireClient();
  const params: LabelDocumentParams = { uri: target.toString(), unit: 'paragraph' };
  const r = await client.sendRequest<LabelDocumentResult>(Methods.labelDocument, params);
  const name = vscode.workspace.asRelativePath(target);
  output.appendLine(`[classifyFile] ${name}: ${predictionSummary(r.document)}`);
  for (const p of r.paragraphs ?? []) output.appendLine(`  line ${p.range.start.line + 1}: ${predictionSummary(p.prediction)}`);
  const pick = await vscode.window.showInformationMessage(`AgNews: ${name}: ${predictionSummary(r.document)}`, 'Details');
  if (pick === 'Details') output.show(true);
}
