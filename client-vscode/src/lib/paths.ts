// Path settings as the user writes them -> absolute paths the server can open. No `vscode` import.
import * as path from 'path';

export interface PathContext {
  /** First workspace folder (fs path), used for relative paths. */
  workspaceFolder?: string;
  home?: string;
}

/** Expands `~`, `${workspaceFolder}`, `${userHome}` and makes relative paths absolute against the workspace folder. */
export function resolvePath(p: string, ctx: PathContext): string {
  if (!p) return p;
  let out = p;
  if (ctx.workspaceFolder) out = out.split('${workspaceFolder}').join(ctx.workspaceFolder);
  if (ctx.home) {
    out = out.split('${userHome}').join(ctx.home);
    if (out === '~' || out.startsWith('~/')) out = ctx.home + out.slice(1);
  }
  if (!path.isAbsolute(out) && ctx.workspaceFolder) out = path.resolve(ctx.workspaceFolder, out);
  return out;
}
