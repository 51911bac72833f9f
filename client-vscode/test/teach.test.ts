import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { classNameProblem, correctionNotice, MAX_CLASS_NAME, needsClassName, shorten, undoNotice, withClassName } from '../src/lib/teach';
import type { CorrectResult } from '../src/lib/protocol';

const at = { textDocument: { uri: 'file:///ws/a.md' }, position: { line: 4, character: 0 } };

test('needsClassName: only agnews/correct whose argument has no label (the new-class code action)', () => {
  assert.equal(needsClassName('agnews/correct', [at]), true, 'the server leaves a null label out');
  assert.equal(needsClassName('agnews/correct', [{ ...at, label: null }]), true);
  assert.equal(needsClassName('agnews/correct', [{ ...at, label: '  ' }]), true);
  assert.equal(needsClassName('agnews/correct', [{ ...at, label: 'Sports' }]), false);
  assert.equal(needsClassName('agnews/undoCorrection', [at]), false);
  assert.equal(needsClassName('agnews/classify', [at]), false);
  assert.equal(needsClassName('agnews/correct', []), false);
  assert.equal(needsClassName('agnews/correct', [null]), false);
  assert.equal(needsClassName('agnews/correct', ['text']), false);
});

test('withClassName: the trimmed name goes into the first argument, the rest kept', () => {
  assert.deepEqual(withClassName([at, 7], ' Entertainment '), [{ ...at, label: 'Entertainment' }, 7]);
  assert.deepEqual(at, { textDocument: { uri: 'file:///ws/a.md' }, position: { line: 4, character: 0 } }, 'not changed in place');
});

test('classNameProblem: non-empty, one short line', () => {
  assert.equal(classNameProblem('Entertainment'), undefined);
  assert.equal(classNameProblem('  Film & TV '), undefined);
  assert.match(classNameProblem('') ?? '', /Type the name/);
  assert.match(classNameProblem('   ') ?? '', /Type the name/);
  assert.match(classNameProblem('x'.repeat(MAX_CLASS_NAME + 1)) ?? '', /At most/);
  assert.match(classNameProblem('a\nb') ?? '', /one line/);
});

const result = (over: Partial<CorrectResult>): CorrectResult => ({
  text: 'The actor arrived at the festival.', label: 'World', dataset: '/ws/.agnews/labels.jsonl', newClasses: [], corrections: 1,
  message: 'Labelled as World.', ...over,
});

test('correctionNotice: the server message; a warning for a weak new class', () => {
  assert.deepEqual(correctionNotice(result({})), { level: 'info', text: 'AgNews: Labelled as World.' });
  const weak = result({ label: 'Film', newClasses: [{ label: 'Film', examples: 1, weak: true }], message: 'Labelled as Film. Film is a new class with 1 example: few examples make it weak.' });
  assert.equal(correctionNotice(weak).level, 'warning');
  assert.match(correctionNotice(weak).text, /^AgNews: Labelled as Film\. Film is a new class/);
  // Another weak class existing does not make a head class's label a warning.
  assert.equal(correctionNotice(result({ newClasses: [{ label: 'Film', examples: 1, weak: true }] })).level, 'info');
  assert.equal(correctionNotice(result({ label: 'Film', newClasses: [{ label: 'Film', examples: 25, weak: false }] })).level, 'info');
  assert.equal(correctionNotice(result({ message: '' })).text, 'AgNews: Labelled as World.');
});

test('undoNotice', () => {
  assert.equal(undoNotice({ undone: false, dataset: 'd', corrections: 0, newClasses: [] }).text, 'AgNews: there is no label to undo.');
  assert.equal(undoNotice({ undone: true, text: 'The actor arrived\nat the festival.', label: 'Film', dataset: 'd', corrections: 0, newClasses: [] }).text,
    'AgNews: undid the label Film for "The actor arrived at the festival.".');
  assert.equal(undoNotice({ undone: true, dataset: 'd', corrections: 0, newClasses: [] }).text, 'AgNews: undid the label.');
});

test('shorten: one line, cut with an ellipsis', () => {
  assert.equal(shorten('a  b\n c', 10), 'a b c');
  assert.equal(shorten('abcdefghij klm', 8), 'abcdefg…');
});
