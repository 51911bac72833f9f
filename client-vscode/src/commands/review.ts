// Review Uncertain Labels: the paragraphs the head is least sure of (agnews/suggest over the open documents, else the
// workspace folder's files), one at a time: revealed and highlighted in their editor, with a quick pick to accept the
// guess, label it otherwise, name a new class, skip, or undo the last label. The walk itself is lib/review.ts.
import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { currentSettings } from '../config';
import { type ClassifyParams, type ClassifyResult, Methods, type Prediction, type Range, type SuggestResult, type Suggestion } from '../lib/protocol';
import { type ReviewAction, type ReviewChoice, ReviewWalk, sameText, suggestParams } from '../lib/review';
import { shorten } from '../lib/teach';
import { askClassName } from '../teaching';

export async function reviewUncertain({ server, output, teaching }: CommandContext): Promise<void> {
  const client = await server.requireClient();
  const params = suggestParams(openDocumentUris(), vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  if (!params) { void vscode.window.showInformationMessage('AgNews: open a text or Markdown document (or a folder) to review its labels.'); return; }
  const { suggestions } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'AgNews: finding uncertain labels', cancellable: true },
    (_progress, token) => client.sendRequest<SuggestResult>(Methods.suggest, params, token));
  output.appendLine(`[review] ${suggestions.length} suggestions from ${params.uris ? `${params.uris.length} open documents` : params.path}`);
  if (suggestions.length === 0) { void vscode.window.showInformationMessage('AgNews: nothing to review: no paragraph with enough text that you have not labelled.'); return; }

  const walk = new ReviewWalk(suggestions);
  const highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  let highlighted: vscode.TextEditor | undefined;
  try {
    while (!walk.done) {
      const s = walk.current!;
      const editor = await reveal(s);
      highlighted?.setDecorations(highlight, []);
      editor.setDecorations(highlight, [toRange(s.range)]);
      highlighted = editor;
      if (!sameText(editor.document.getText(toRange(s.range)), s.text)) {
        output.appendLine(`[review] line ${s.range.start.line + 1} of ${s.uri} changed since; skipped`);
        walk.passOver();
        continue;
      }
      const prediction = await currentPrediction(s);
      if (prediction.byUser) { walk.passOver(); continue; } // labelled meanwhile (a code action, a twin paragraph)
      const action = await pick(walk, prediction, () => server.refreshCodeLenses());
      await carryOut(action, s);
    }
  } finally {
    highlight.dispose();
  }
  output.appendLine(`[review] ${walk.summary()}`);
  void vscode.window.showInformationMessage(walk.summary());

  async function carryOut(action: ReviewAction, s: Suggestion): Promise<void> {
    const at = { textDocument: { uri: s.uri }, position: s.range.start };
    switch (action.kind) {
      case 'accept':
      case 'label': {
        const result = await teaching.correct({ label: action.label, ...at });
        if (result) walk.labelledAs(result.label); // after an error (shown) the same paragraph comes again
        return;
      }
      case 'newClass': {
        const name = await askClassName(shorten(s.text, 50));
        if (name === undefined) return; // back to the same paragraph
        const result = await teaching.correct({ label: name, ...at });
        if (result) walk.labelledAs(result.label);
        return;
      }
      case 'skip': walk.skipped(); return;
      case 'undo': {
        const last = walk.labelled[walk.labelled.length - 1];
        if (!last) return;
        const result = await teaching.undo({ textDocument: { uri: last.uri } });
        if (result?.undone) walk.undone(result.text);
        return;
      }
      case 'stop': walk.stop(); return;
    }
  }

  /** The paragraph's prediction now (a label given since may have moved it); the suggestion's if asking fails. */
  async function currentPrediction(s: Suggestion): Promise<Prediction> {
    try {
      const params: ClassifyParams = { textDocument: { uri: s.uri }, position: s.range.start };
      return (await client.sendRequest<ClassifyResult>(Methods.classify, params)).predictions[0] ?? s.prediction;
    } catch {
      return s.prediction;
    }
  }
}

/** Open documents the server labels (enabled languages, on disk or untitled) that have an editor tab. */
function openDocumentUris(): string[] {
  const languages = new Set(currentSettings().languages);
  const tabbed = new Set<string>();
  for (const group of vscode.window.tabGroups.all)
    for (const tab of group.tabs) if (tab.input instanceof vscode.TabInputText) tabbed.add(tab.input.uri.toString());
  return vscode.workspace.textDocuments
    .filter((d) => (d.uri.scheme === 'file' || d.uri.scheme === 'untitled') && languages.has(d.languageId) && tabbed.has(d.uri.toString()))
    .map((d) => d.uri.toString());
}

/** Shows the paragraph: its editor (the visible one if any), the cursor at its start, in the middle (below the pick). */
async function reveal(s: Suggestion): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.parse(s.uri);
  const range = toRange(s.range);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const document = visible?.document ?? await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document, {
    viewColumn: visible?.viewColumn, preserveFocus: true, preview: false, selection: new vscode.Range(range.start, range.start),
  });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
  return editor;
}

/**
 * The quick pick for the paragraph shown; closing it (Escape) is `stop`. It stays open when the editor takes focus.
 * `shown` runs once it has the focus: VS Code's code lens controller drops a pending lens update when its editor loses
 * the focus, which the pick takes right after the server's refresh for the label just given, so the lenses are asked for
 * again from there (else the label would show in place only after the walk).
 */
function pick(walk: ReviewWalk, prediction: Prediction, shown: () => void): Promise<ReviewAction> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { choice: ReviewChoice }>();
    qp.title = walk.title();
    qp.placeholder = walk.placeholder(prediction);
    qp.items = walk.choices(prediction).map((choice) => ({ label: choice.label, description: choice.description, choice }));
    qp.ignoreFocusOut = true;
    let chosen: ReviewAction = { kind: 'stop' };
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!item) return;
      chosen = item.choice.action;
      qp.hide();
    });
    qp.onDidHide(() => { qp.dispose(); resolve(chosen); });
    qp.show();
    setTimeout(shown, 200);
  });
}

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}
