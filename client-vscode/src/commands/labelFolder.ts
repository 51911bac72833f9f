// Label Folder…: labels every matching file of a folder on the server (agnews/labelFolder) into a CSV or JSONL file,
// with progress and Cancel like Train, then opens the summary.
import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { pathContext } from '../config';
import { withServerProgress } from '../serverProgress';
import { basename } from '../lib/format';
import { formatGlobs, labelFolderParams, labelFolderSummaryMarkdown, outputFormat, parseGlobs, type GlobLists } from '../lib/labelFolder';
import { resolvePath } from '../lib/paths';
import { DEFAULT_LABEL_FOLDER_INCLUDE, type LabelFolderFormat, type LabelFolderResult, type LabelFolderUnit, Methods } from '../lib/protocol';

/** `folder`: from the explorer's context menu or executeCommand (a URI or path); else ask. */
export async function labelFolder({ server, output, summaries }: CommandContext, folder?: vscode.Uri | string): Promise<void> {
  const folderUri = folder instanceof vscode.Uri ? folder
    : typeof folder === 'string' && folder ? vscode.Uri.file(resolvePath(folder, pathContext()))
      : (await vscode.window.showOpenDialog({
        canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title: 'AgNews: folder to label', openLabel: 'Label',
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      }))?.[0];
  if (!folderUri) return;

  const globsText = await vscode.window.showInputBox({
    title: `AgNews: files of ${basename(folderUri.fsPath)} to label`,
    prompt: 'Globs relative to the folder, separated by commas; !glob excludes (e.g. **/*.md, !drafts/**)',
    value: formatGlobs({ include: [DEFAULT_LABEL_FOLDER_INCLUDE], exclude: [] }),
    validateInput: (text) => { try { parseGlobs(text); return undefined; } catch (e) { return (e as Error).message; } },
  });
  if (globsText === undefined) return;
  const globs: GlobLists = parseGlobs(globsText);

  const units: (vscode.QuickPickItem & { unit: LabelFolderUnit })[] = [
    { label: 'One row per file', description: 'document', unit: 'document' },
    { label: 'One row per paragraph', description: 'paragraph, with its line range', unit: 'paragraph' },
  ];
  const unit = await vscode.window.showQuickPick(units, { title: 'AgNews: label each file or each paragraph' });
  if (!unit) return;

  const target = await vscode.window.showSaveDialog({
    title: 'AgNews: write the labels to', saveLabel: 'Label',
    defaultUri: vscode.Uri.joinPath(folderUri, unit.unit === 'paragraph' ? 'labels-paragraphs.csv' : 'labels.csv'),
    filters: { CSV: ['csv'], 'JSON Lines': ['jsonl'] },
  });
  if (!target) return;
  const chosenFormat: LabelFolderFormat = outputFormat(target.fsPath) ?? 'csv';

  const client = await server.requireClient();
  const params = labelFolderParams(folderUri.fsPath, globs, unit.unit, target.fsPath, chosenFormat);
  output.appendLine(`[labelFolder] ${JSON.stringify(params)}`);
  const result = await withServerProgress<LabelFolderResult>(
    `AgNews: labelling ${basename(folderUri.fsPath)}`, client, Methods.labelFolder, params, output);
  output.appendLine(`[labelFolder] ${result.filesLabeled}/${result.filesMatched} files, ${result.rows} rows -> ${result.output} (${result.seconds} s)`);
  await summaries.open('AgNews folder labels', labelFolderSummaryMarkdown(result));
  const written = result.output;
  const pick = await vscode.window.showInformationMessage(
    `AgNews: ${result.filesLabeled} file${result.filesLabeled === 1 ? '' : 's'} labelled into ${written ? basename(written) : 'the output'}` +
    (result.skipped ? ` (${result.skipped} skipped)` : '') + '.', ...(written ? ['Open File'] : []));
  if (pick === 'Open File' && written) await vscode.window.showTextDocument(vscode.Uri.file(written));
}
