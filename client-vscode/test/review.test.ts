import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fileName, NEW_CLASS_CHOICE, ReviewWalk, sameText, SKIP_CHOICE, suggestParams, UNDO_CHOICE } from '../src/lib/review';
import type { Prediction, Suggestion } from '../src/lib/protocol';
import { prediction } from './fixtures';

const guess = prediction('World', { World: 0.52, Sports: 0.03, Business: 0.4, 'Sci/Tech': 0.05 });
const suggestion = (line: number, text: string, uri = 'file:///ws/notes%20a.md'): Suggestion => ({
  uri, range: { start: { line, character: 0 }, end: { line, character: text.length } }, text, prediction: guess, margin: 0.12,
});
const three = () => new ReviewWalk([suggestion(0, 'first paragraph'), suggestion(4, 'second paragraph'), suggestion(8, 'third paragraph')]);
const labels = (p: Prediction, w: ReviewWalk) => w.choices(p).map((c) => c.label);

test('suggestParams: the open documents, else the workspace folder, else nothing', () => {
  assert.deepEqual(suggestParams(['file:///a.md'], '/ws'), { uris: ['file:///a.md'], max: 20 });
  assert.deepEqual(suggestParams([], '/ws', 5), { path: '/ws', max: 5 });
  assert.equal(suggestParams([], undefined), undefined);
});

test('choices: accept the guess, the other classes by probability, new class, skip; undo once something was labelled', () => {
  const w = three();
  assert.deepEqual(labels(guess, w), ['Accept World', 'Label as Business', 'Label as Sci/Tech', 'Label as Sports', NEW_CLASS_CHOICE, SKIP_CHOICE]);
  const rows = w.choices(guess);
  assert.deepEqual(rows[0].action, { kind: 'accept', label: 'World' });
  assert.equal(rows[0].description, 'the guess, 52%');
  assert.deepEqual(rows[1].action, { kind: 'label', label: 'Business' });
  assert.equal(rows[1].description, '40%');
  // A class taught since (a new class) is offered like the head's.
  const withNew = prediction('Film', { World: 0.1, Sports: 0, Business: 0, 'Sci/Tech': 0, Film: 0.9 });
  assert.deepEqual(labels(withNew, w).slice(0, 2), ['Accept Film', 'Label as World']);
  w.labelledAs('World');
  assert.deepEqual(labels(guess, w).slice(-1), [UNDO_CHOICE]);
  assert.match(w.choices(guess).at(-1)!.description!, /take back World \(line 1\)/);
});

test('walk: label and skip move on; the end is done', () => {
  const w = three();
  assert.equal(w.current?.text, 'first paragraph');
  assert.equal(w.title(), 'AgNews review 1/3 · notes a.md line 1');
  assert.match(w.placeholder(guess), /^World 52%: first paragraph/);
  w.labelledAs('World');
  assert.equal(w.current?.text, 'second paragraph');
  w.skipped();
  assert.equal(w.title(), 'AgNews review 3/3 · notes a.md line 9');
  w.labelledAs('Film');
  assert.equal(w.done, true);
  assert.equal(w.current, undefined);
  assert.deepEqual(w.labelled.map((l) => [l.index, l.label, l.line]), [[0, 'World', 0], [2, 'Film', 8]]);
  assert.equal(w.summary(), 'AgNews review: 2 labelled, 1 skipped.');
  w.skipped(); // nothing left: no change
  assert.equal(w.summary(), 'AgNews review: 2 labelled, 1 skipped.');
});

test('walk: undo goes back to the paragraph it took the label from, even after the end', () => {
  const w = three();
  w.labelledAs('World');
  w.labelledAs('Business');
  assert.equal(w.current?.text, 'third paragraph');
  const back = w.undone('second  paragraph'); // the server's text, spaced otherwise
  assert.deepEqual(back && [back.index, back.label], [1, 'Business']);
  assert.equal(w.current?.text, 'second paragraph');
  w.labelledAs('Sports');
  w.labelledAs('World');
  assert.equal(w.done, true);
  assert.equal(w.undone(undefined)?.label, 'World', 'no text from the server: the last label of the walk');
  assert.equal(w.done, false);
  assert.equal(w.current?.text, 'third paragraph');
  assert.equal(w.summary(), 'AgNews review: 2 labelled, 0 skipped, 2 undone; 1 not reviewed.');
});

test('walk: an undo of a label given elsewhere, or with nothing labelled, leaves the walk as it is', () => {
  const w = three();
  assert.equal(w.undone('first paragraph'), undefined);
  w.labelledAs('World');
  assert.equal(w.undone('a paragraph labelled by a code action'), undefined);
  assert.equal(w.current?.text, 'second paragraph');
  assert.equal(w.labelled.length, 1);
});

test('walk: stop ends it; the summary counts what was not reviewed', () => {
  const w = three();
  w.skipped();
  w.stop();
  assert.equal(w.done, true);
  assert.equal(w.current, undefined);
  assert.equal(w.summary(), 'AgNews review: 0 labelled, 1 skipped; 2 not reviewed.');
  assert.equal(new ReviewWalk([]).done, true);
});

test('fileName and sameText', () => {
  assert.equal(fileName('file:///ws/sub/notes%20a.md'), 'notes a.md');
  assert.equal(fileName('untitled:Untitled-1'), 'untitled:Untitled-1');
  assert.equal(sameText('a\r\nb  c', ' a b c '), true);
  assert.equal(sameText('a b', 'a c'), false);
});

test('walk: passOver moves on without counting a label or a skip', () => {
  const w = three();
  w.passOver();
  assert.equal(w.current?.text, 'second paragraph');
  w.stop();
  w.passOver();
  assert.equal(w.summary(), 'AgNews review: 0 labelled, 0 skipped; 2 not reviewed.');
});
