import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  documentSelector, DOTNET_MISSING_MESSAGE, readSettings, resolvePath, resolveServerCommand, serverNotFoundMessage, toInitializationOptions,
} from '../src/lib/settings';

const getter = (o: Record<string, unknown>) => (k: string) => o[k];

test('readSettings: defaults and normalisation', () => {
  const s = readSettings(getter({}));
  assert.deepEqual(s.languages, ['plaintext', 'markdown']);
  assert.equal(s.hoverUnit, 'paragraph');
  assert.equal(s.maxTokens, 0);
  assert.equal(s.trainHead, ''); // the server's default kind
  assert.equal(readSettings(getter({ 'train.head': 'hybrid' })).trainHead, 'hybrid');
  assert.equal(readSettings(getter({ 'train.head': 'forest' })).trainHead, '');
  const t = readSettings(getter({ languages: [' latex ', 'latex', '', 3, 'markdown'], hoverUnit: 'line', maxTokens: 128.7, 'train.limit': -5, 'train.head': 'mlp', modelPath: '  /m  ' }));
  assert.deepEqual(t.languages, ['latex', 'markdown']);
  assert.equal(t.hoverUnit, 'line');
  assert.equal(t.maxTokens, 128);
  assert.equal(t.trainLimit, 0);
  assert.equal(t.trainHead, 'mlp');
  assert.equal(t.modelPath, '/m');
});

test('toInitializationOptions: only set values, paths resolved', () => {
  const s = readSettings(getter({ modelPath: 'models/m.onnx', headPath: '~/heads/h.bin', dataFolder: '${workspaceFolder}/data', pooling: 'mean', maxTokens: 256 }));
  const o = toInitializationOptions(s, { workspaceFolder: '/ws', home: '/home/u' });
  assert.deepEqual(o, { modelPath: '/ws/models/m.onnx', headPath: '/home/u/heads/h.bin', dataFolder: '/ws/data', pooling: 'mean', maxTokens: 256, hoverUnit: 'paragraph' });
  assert.deepEqual(toInitializationOptions(readSettings(getter({ hoverUnit: 'line' }))), { hoverUnit: 'line' });
});

test('resolvePath', () => {
  assert.equal(resolvePath('', { workspaceFolder: '/ws' }), '');
  assert.equal(resolvePath('/abs', { workspaceFolder: '/ws' }), '/abs');
  assert.equal(resolvePath('${userHome}/x', { home: '/h' }), '/h/x');
  assert.equal(resolvePath('rel', {}), 'rel');
});

test('documentSelector: file and untitled per language', () => {
  assert.deepEqual(documentSelector(['plaintext']), [{ language: 'plaintext', scheme: 'file' }, { language: 'plaintext', scheme: 'untitled' }]);
  assert.equal(documentSelector(['a', 'b', 'c']).length, 6);
});

test('resolveServerCommand', () => {
  const files = new Set(['/srv/agnews.dll', '/ext/server/agnews.dll', '/bin2/agnews']);
  const dirs = new Set(['/srv', '/ext/server', '/bin2']);
  const fsx = { isFile: (p: string) => files.has(p), isDirectory: (p: string) => dirs.has(p) };
  assert.deepEqual(resolveServerCommand('/srv/agnews.dll', '/ext', fsx), { command: 'dotnet', args: ['/srv/agnews.dll', 'serve', '--stdio'], needsDotnet: true, source: 'setting' });
  assert.deepEqual(resolveServerCommand('/srv', '/ext', fsx).args, ['/srv/agnews.dll', 'serve', '--stdio']);
  if (process.platform !== 'win32') assert.deepEqual(resolveServerCommand('/bin2', '/ext', fsx), { command: '/bin2/agnews', args: ['serve', '--stdio'], needsDotnet: false, source: 'setting' });
  assert.deepEqual(resolveServerCommand('/opt/agnews', '/ext', fsx), { command: '/opt/agnews', args: ['serve', '--stdio'], needsDotnet: false, source: 'setting' });
  assert.equal(resolveServerCommand('', '/ext', fsx).source, 'bundled');
  assert.deepEqual(resolveServerCommand('', '/other', fsx), { command: 'agnews', args: ['serve', '--stdio'], needsDotnet: false, source: 'path' });
  assert.equal(resolveServerCommand('srv/agnews.dll', '/ext', fsx, { workspaceFolder: '/' }).args[0], path.resolve('/', 'srv/agnews.dll'));
});

test('error messages name the fix', () => {
  assert.match(DOTNET_MISSING_MESSAGE, /dotnet/);
  assert.match(DOTNET_MISSING_MESSAGE, /agnews\.server\.path/);
  assert.match(serverNotFoundMessage({ command: 'agnews', args: [], needsDotnet: false, source: 'path' }), /agnews\.server\.path/);
  assert.match(serverNotFoundMessage({ command: 'dotnet', args: ['/x/agnews.dll'], needsDotnet: true, source: 'setting' }), /\/x\/agnews\.dll/);
});
