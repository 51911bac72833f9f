// "AgNews: Review Uncertain Labels": the walk over the paragraphs agnews/suggest returned, one at a time. This is its
// state machine and what its quick pick offers; no `vscode` import (the command in src/commands/review.ts shows it,
// reveals the paragraph and sends the requests).
import { pct } from './format';
import type { Prediction, SuggestParams, Suggestion } from './protocol';
import { shorten } from './teach';

/** What the person picked for the paragraph shown. Closing the pick is `stop`. */
export type ReviewAction =
  | { kind: 'accept'; label: string }
  | { kind: 'label'; label: string }
  | { kind: 'newClass' }
  | { kind: 'skip' }
  | { kind: 'undo' }
  | { kind: 'stop' };

/** One row of the quick pick. */
export interface ReviewChoice { label: string; description?: string; action: ReviewAction }

/** A label this walk gave: which suggestion, the label, the document (whose corrections file an undo goes to). */
export interface ReviewLabelled { index: number; label: string; uri: string; line: number }

export const NEW_CLASS_CHOICE = 'New class…';
export const SKIP_CHOICE = 'Skip';
export const UNDO_CHOICE = 'Undo last';
export const acceptChoice = (label: string) => `Accept ${label}`;
export const labelChoice = (label: string) => `Label as ${label}`;

/**
 * What agnews/suggest is asked about: the open documents in the enabled languages when there are any (their URIs), else
 * the workspace folder's files on disk (its path); undefined when there is neither.
 */
export function suggestParams(openUris: readonly string[], workspaceFolder: string | undefined, max = 20): SuggestParams | undefined {
  if (openUris.length > 0) return { uris: [...openUris], max };
  return workspaceFolder ? { path: workspaceFolder, max } : undefined;
}

/**
 * The walk: a cursor over the suggestions, the labels given (newest last, what "Undo last" takes back), and counts for
 * the summary. Labelling or skipping moves to the next suggestion; an undo goes back to the paragraph whose label it
 * took back, so it can be labelled again; stop ends the walk.
 */
export class ReviewWalk {
  private cursor = 0;
  private stopped = false;
  private readonly given: ReviewLabelled[] = [];
  private skips = 0;
  private undos = 0;

  constructor(readonly suggestions: readonly Suggestion[]) {}

  /** The suggestion to show now; undefined once the walk is over. */
  get current(): Suggestion | undefined { return this.done ? undefined : this.suggestions[this.cursor]; }
  get index(): number { return this.cursor; }
  get done(): boolean { return this.stopped || this.cursor >= this.suggestions.length; }
  /** The labels this walk gave that are still in place, oldest first. */
  get labelled(): readonly ReviewLabelled[] { return this.given; }
  get canUndo(): boolean { return this.given.length > 0; }

  /**
   * The quick pick's rows for the current paragraph, given its prediction now (the one agnews/suggest sent may be
   * stale: a correction since can have moved it): accept the guess, each other class by probability, a new class,
   * skip, and undo while this walk has a label to take back.
   */
  choices(prediction: Prediction): ReviewChoice[] {
    const probability = (l: string) => prediction.probabilities?.[l];
    const others = Object.keys(prediction.probabilities ?? {}).filter((l) => l !== prediction.label)
      .sort((a, b) => (probability(b) ?? 0) - (probability(a) ?? 0) || a.localeCompare(b));
    const own = probability(prediction.label);
    const rows: ReviewChoice[] = [
      { label: acceptChoice(prediction.label), description: own === undefined ? 'the guess' : `the guess, ${pct(own, 0)}`, action: { kind: 'accept', label: prediction.label } },
      ...others.map((l) => ({ label: labelChoice(l), description: pct(probability(l) ?? 0, 0), action: { kind: 'label', label: l } as ReviewAction })),
      { label: NEW_CLASS_CHOICE, description: 'type a class name', action: { kind: 'newClass' } },
      { label: SKIP_CHOICE, description: 'leave it unlabelled', action: { kind: 'skip' } },
    ];
    const last = this.given[this.given.length - 1];
    if (last) rows.push({ label: UNDO_CHOICE, description: `take back ${last.label} (line ${last.line + 1})`, action: { kind: 'undo' } });
    return rows;
  }

  /** "AgNews review 2/7 · notes.md line 12" */
  title(): string {
    const s = this.current;
    if (!s) return 'AgNews review';
    return `AgNews review ${this.cursor + 1}/${this.suggestions.length} · ${fileName(s.uri)} line ${s.range.start.line + 1}`;
  }

  /** The quick pick's placeholder: the guess and the paragraph's start, e.g. "World 52%: The actor arrived at…". */
  placeholder(prediction: Prediction): string {
    const s = this.current;
    const p = prediction.probabilities?.[prediction.label];
    return `${prediction.label}${p === undefined ? '' : ` ${pct(p, 0)}`}: ${shorten(s?.text ?? '', 90)} (Escape stops)`;
  }

  /** The current paragraph was labelled (accepted or another class); moves on. */
  labelledAs(label: string): void {
    const s = this.current;
    if (!s) return;
    this.given.push({ index: this.cursor, label, uri: s.uri, line: s.range.start.line });
    this.cursor++;
  }

  skipped(): void {
    if (this.done) return;
    this.skips++;
    this.cursor++;
  }

  /**
   * The server took back a label (the text it names, from agnews/undoCorrection). When that is this walk's last label,
   * the walk goes back to its paragraph, to be labelled again, and returns it; a label given elsewhere (a code action
   * meanwhile) leaves the walk as it is.
   */
  undone(text?: string | null): ReviewLabelled | undefined {
    const last = this.given[this.given.length - 1];
    if (!last || (text != null && !sameText(text, this.suggestions[last.index].text))) return undefined;
    this.given.pop();
    this.undos++;
    this.cursor = last.index;
    this.stopped = false;
    return last;
  }

  /** Moves on without asking: the paragraph was labelled meanwhile or changed since (neither a label nor a skip). */
  passOver(): void {
    if (!this.done) this.cursor++;
  }

  stop(): void { this.stopped = true; }

  /** "Review: 3 labelled, 1 skipped, 1 undone; 2 not reviewed." */
  summary(): string {
    const left = Math.max(0, this.suggestions.length - this.cursor);
    const parts = [`${this.given.length} labelled`, `${this.skips} skipped`];
    if (this.undos) parts.push(`${this.undos} undone`);
    return `AgNews review: ${parts.join(', ')}${left ? `; ${left} not reviewed` : ''}.`;
  }
}

/** The last path segment of a URI, decoded ("notes.md"). */
export function fileName(uri: string): string {
  const last = uri.split(/[/\\]/).filter(Boolean).pop() ?? uri;
  try { return decodeURIComponent(last); } catch { return last; }
}

/** The same paragraph text, line breaks and runs of spaces aside (the server and the editor may break lines differently). */
export function sameText(a: string, b: string): boolean {
  return a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();
}
