// Read-only Markdown documents for the summaries Label Open Documents and Label Folder write (kept in memory until closed).
import * as vscode from 'vscode';

const SCHEME = 'agnews-summary';

export class SummaryDocuments implements vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private counter = 0;
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, { provideTextDocumentContent: (uri) => this.texts.get(uri.toString()) ?? '' }),
      vscode.workspace.onDidCloseTextDocument((d) => { if (d.uri.scheme === SCHEME) this.texts.delete(d.uri.toString()); }),
    ];
  }

  /** Opens the Markdown as a new document named "<title> <n>.md". */
  async open(title: string, markdown: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${title} ${++this.counter}.md` });
    this.texts.set(uri.toString(), markdown);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.texts.clear();
  }
}
