import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyParams, COMMAND_IDS, commandErrorMessage, progressIncrement } from '../src/lib/commands';
import { SERVER_COMMANDS } from '../src/lib/protocol';

test('every command id is contributed in package.json, and nothing else', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
  const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
  assert.deepEqual(contributed, Object.values(COMMAND_IDS).sort());
});

test('no client command takes the id of a command the server advertises (the language client registers those)', () => {
  const protocol = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
  const advertised = /executeCommandProvider: \{ commands: \[([^\]]*)\]/.exec(protocol);
  assert.ok(advertised, 'docs/protocol.md names the executeCommandProvider commands');
  assert.deepEqual(JSON.parse(`[${advertised[1]}]`), [...SERVER_COMMANDS]);
  for (const id of Object.values(COMMAND_IDS)) assert.ok(!SERVER_COMMANDS.includes(id), id);
});

test('classifyParams: hover unit at the cursor, one text, or several', () => {
  assert.deepEqual(classifyParams([], 'file:///a.txt', { line: 3, character: 7 }), { textDocument: { uri: 'file:///a.txt' }, position: { line: 3, character: 7 } });
  assert.deepEqual(classifyParams(['x'], 'file:///a.txt', { line: 0, character: 0 }), { text: 'x' });
  assert.deepEqual(classifyParams(['x', 'y'], 'file:///a.txt', { line: 0, character: 0 }), { texts: ['x', 'y'] });
});

test('commandErrorMessage: cancelled, busy, other', () => {
  assert.deepEqual(commandErrorMessage(COMMAND_IDS.trainHead, { cancelled: true, message: '' }),
    { level: 'info', text: 'AgNews: cancelled. The previous head stays loaded.', log: 'cancelled' });
  assert.equal(commandErrorMessage(COMMAND_IDS.evaluate, { cancelled: false, code: -32800, message: 'x' }).text, 'AgNews: cancelled.');
  assert.match(commandErrorMessage(COMMAND_IDS.trainHead, { cancelled: false, code: -32001, message: 'training already running' }).text, /already running; wait/);
  assert.deepEqual(commandErrorMessage(COMMAND_IDS.evaluate, { cancelled: false, code: -32003, message: 'no such file' }),
    { level: 'error', text: 'AgNews: no such file', log: 'no such file' });
});

test('progressIncrement: increments sum to the percentage and never go back', () => {
  let last = 0;
  let sum = 0;
  for (const p of [undefined, 0, 10, 5, 40, 40, 90, 150]) {
    const r = progressIncrement(last, p);
    last = r.last;
    sum += r.increment ?? 0;
  }
  assert.equal(last, 100);
  assert.equal(sum, 100);
  assert.deepEqual(progressIncrement(30, 20), { last: 30 });
  assert.deepEqual(progressIncrement(30, Number.NaN), { last: 30 });
});
