// What every command gets: the server, the report panel, the output channel, the summary documents and teaching.
import type * as vscode from 'vscode';
import type { AgNewsServer } from '../server';
import type { ReportPanel } from '../reportPanel';
import type { SummaryDocuments } from '../summaryDocuments';
import type { Teaching } from '../teaching';

export interface CommandContext {
  server: AgNewsServer;
  reports: ReportPanel;
  output: vscode.OutputChannel;
  summaries: SummaryDocuments;
  teaching: Teaching;
}

/** A command handler; `args` are what VS Code (a menu, a keybinding, executeCommand) passes. */
export type CommandHandler = (ctx: CommandContext, ...args: any[]) => unknown;
