// How the server is started and what it serves. No `vscode` import.
import * as path from 'path';
import { type PathContext, resolvePath } from './paths';

export interface DocumentFilterLike { language: string; scheme: string }

/** One filter per language and scheme (files on disk and untitled buffers). */
export function documentSelector(languages: string[]): DocumentFilterLike[] {
  const out: DocumentFilterLike[] = [];
  for (const language of languages) for (const scheme of ['file', 'untitled']) out.push({ language, scheme });
  return out;
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** `dotnet` is needed (a .dll is started through it). */
  needsDotnet: boolean;
  /** Where it came from, for messages. */
  source: 'setting' | 'bundled' | 'path';
}

/**
 * Picks how to start the server:
 *  1. `agnews.server.path`: a `.dll` -> `dotnet <dll> serve --stdio`; a folder -> its agnews.dll (or agnews executable);
 *     anything else is run directly.
 *  2. `<extension>/server/agnews.dll` (or `agnews`) when bundled.
 *  3. `agnews` on PATH.
 */
export function resolveServerCommand(
  serverPath: string,
  extensionPath: string,
  fsx: { isFile(p: string): boolean; isDirectory(p: string): boolean },
  ctx: PathContext = {},
): ServerCommand {
  const serveArgs = ['serve', '--stdio'];
  const fromLocation = (p: string, source: ServerCommand['source']): ServerCommand | undefined => {
    if (fsx.isDirectory(p)) {
      const dll = path.join(p, 'agnews.dll');
      if (fsx.isFile(dll)) return { command: 'dotnet', args: [dll, ...serveArgs], needsDotnet: true, source };
      const exe = path.join(p, process.platform === 'win32' ? 'agnews.exe' : 'agnews');
      if (fsx.isFile(exe)) return { command: exe, args: serveArgs, needsDotnet: false, source };
      return undefined;
    }
    if (p.toLowerCase().endsWith('.dll')) return { command: 'dotnet', args: [p, ...serveArgs], needsDotnet: true, source };
    return { command: p, args: serveArgs, needsDotnet: false, source };
  };
  if (serverPath) {
    const p = resolvePath(serverPath, ctx);
    return fromLocation(p, 'setting') ?? { command: path.join(p, 'agnews.dll'), args: serveArgs, needsDotnet: true, source: 'setting' };
  }
  const bundled = path.join(extensionPath, 'server');
  const b = fsx.isDirectory(bundled) ? fromLocation(bundled, 'bundled') : undefined;
  if (b) return b;
  return { command: 'agnews', args: serveArgs, needsDotnet: false, source: 'path' };
}

export const DOTNET_MISSING_MESSAGE =
  'AgNews: the .NET runtime (`dotnet`) was not found on PATH, so the AgNews server cannot start. ' +
  'Install the .NET 10 runtime (https://dot.net/download, e.g. `apt-get install dotnet-runtime-10.0`) and restart VS Code, ' +
  'or set `agnews.server.path` to a self-contained `agnews` executable.';

export function serverNotFoundMessage(cmd: ServerCommand): string {
  if (cmd.source === 'path')
    return 'AgNews: no server configured and `agnews` is not on PATH. Set `agnews.server.path` to the server\'s `agnews.dll` ' +
      '(started with `dotnet`) or to a self-contained `agnews` executable, then run "AgNews: Restart Server".';
  return `AgNews: the server was not found at ${cmd.needsDotnet ? cmd.args[0] : cmd.command}. ` +
    'Fix `agnews.server.path` (a path to `agnews.dll` or the `agnews` executable), then run "AgNews: Restart Server".';
}
