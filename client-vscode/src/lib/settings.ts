// Settings -> server start command and initializationOptions. No `vscode` import.
import * as path from 'path';
import { HEAD_KINDS, type HeadKind } from './protocol';

export interface AgNewsSettings {
  serverPath: string;
  modelPath: string;
  headPath: string;
  dataFolder: string;
  pooling: string;
  maxTokens: number;
  hoverUnit: string;
  languages: string[];
  /** Empty: the server's default kind. */
  trainHead: HeadKind | '';
  trainMaxEpochs: number;
  trainLimit: number;
}

export const DEFAULT_LANGUAGES = ['plaintext', 'markdown'];

/** Reads settings through a getter (e.g. WorkspaceConfiguration.get) and normalises them. */
export function readSettings(get: (key: string) => unknown): AgNewsSettings {
  const str = (k: string, d = '') => { const v = get(k); return typeof v === 'string' ? v.trim() : d; };
  const num = (k: string) => { const v = get(k); return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0; };
  const langsRaw = get('languages');
  const languages = Array.isArray(langsRaw)
    ? [...new Set(langsRaw.filter((l): l is string => typeof l === 'string' && l.trim() !== '').map((l) => l.trim()))]
    : DEFAULT_LANGUAGES.slice();
  const hoverUnit = str('hoverUnit', 'paragraph');
  return {
    serverPath: str('server.path'),
    modelPath: str('modelPath'),
    headPath: str('headPath'),
    dataFolder: str('dataFolder'),
    pooling: str('pooling'),
    maxTokens: num('maxTokens'),
    hoverUnit: hoverUnit === 'line' ? 'line' : 'paragraph',
    languages,
    trainHead: (HEAD_KINDS as readonly string[]).includes(str('train.head')) ? str('train.head') as HeadKind : '',
    trainMaxEpochs: num('train.maxEpochs'),
    trainLimit: num('train.limit'),
  };
}

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

export interface InitializationOptions {
  modelPath?: string;
  headPath?: string;
  dataFolder?: string;
  pooling?: string;
  maxTokens?: number;
  hoverUnit?: 'paragraph' | 'line';
}

/** Only set values are sent: the server keeps its defaults for the rest. */
export function toInitializationOptions(s: AgNewsSettings, ctx: PathContext = {}): InitializationOptions {
  const o: InitializationOptions = {};
  if (s.modelPath) o.modelPath = resolvePath(s.modelPath, ctx);
  if (s.headPath) o.headPath = resolvePath(s.headPath, ctx);
  if (s.dataFolder) o.dataFolder = resolvePath(s.dataFolder, ctx);
  if (s.pooling) o.pooling = s.pooling;
  if (s.maxTokens > 0) o.maxTokens = s.maxTokens;
  o.hoverUnit = s.hoverUnit === 'line' ? 'line' : 'paragraph';
  return o;
}

export interface DocumentFilterLike { language: string; scheme: string }

/** One filter per language and scheme (files on disk and untitled buffers). */
export function documentSelector(languages: string[]): DocumentFilterLike[] {
  const out: DocumentFilterLike[] = [];
  for (const language of languages) for (const scheme of ['file', 'untitled']) out.push({ language, scheme });
  return out;
}

/** Settings whose change needs a server restart (they travel in initializationOptions or pick the binary). */
export const RESTART_KEYS = ['server.path', 'modelPath', 'headPath', 'dataFolder', 'pooling', 'maxTokens', 'hoverUnit', 'languages'];

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
