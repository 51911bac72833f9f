import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { resolvePath } from '../src/lib/paths';
import { documentSelector, DOTNET_MISSING_MESSAGE, resolveServerCommand, serverNotFoundMessage } from '../src/lib/serverCommand';

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
