// Teaching in place, the parts without `vscode`: the new-class argument of the server's code action, the class name
// a person types, and what to tell them after a correction or an undo (docs/protocol.md, Teaching in place).
import { type CorrectParams, type CorrectResult, Methods, type UndoCorrectionResult } from './protocol';

/**
 * The server's "Label as a new class..." code action runs `agnews/correct` with an argument that has no label: the
 * editor asks for the name. True for exactly that command and argument (a label that is missing, null or blank).
 */
export function needsClassName(command: string, args: readonly unknown[]): boolean {
  if (command !== Methods.correct || args.length === 0) return false;
  const first = args[0];
  if (first === null || typeof first !== 'object') return false;
  const label = (first as CorrectParams).label;
  return label === undefined || label === null || (typeof label === 'string' && label.trim() === '');
}

/** The command's arguments with the class name the person gave put in the first one (the others kept as they were). */
export function withClassName(args: readonly unknown[], name: string): unknown[] {
  const [first, ...rest] = args;
  return [{ ...(first as CorrectParams), label: name.trim() }, ...rest];
}

/** Longest class name accepted: a class is a short name, and it is shown in every label. */
export const MAX_CLASS_NAME = 60;

/** Why a typed class name cannot be used (an input box's validation message), or undefined when it can. */
export function classNameProblem(value: string): string | undefined {
  const name = value.trim();
  if (name === '') return 'Type the name of the class (e.g. Entertainment).';
  if (name.length > MAX_CLASS_NAME) return `At most ${MAX_CLASS_NAME} characters.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A class name is one line without control characters.';
  return undefined;
}

export interface Notice {
  /** A warning when the correction made (or added to) a class that has too few examples to be trusted yet. */
  level: 'info' | 'warning';
  text: string;
}

/** What to show after agnews/correct: the server's message, as a warning when the label is a weak new class. */
export function correctionNotice(result: CorrectResult): Notice {
  const weak = result.newClasses.some((c) => c.weak && c.label === result.label);
  const text = result.message?.trim() ? result.message.trim() : `Labelled as ${result.label}.`;
  return { level: weak ? 'warning' : 'info', text: `AgNews: ${text}` };
}

/** What to show after agnews/undoCorrection. */
export function undoNotice(result: UndoCorrectionResult): Notice {
  if (!result.undone) return { level: 'info', text: 'AgNews: there is no label to undo.' };
  const excerpt = result.text ? ` for "${shorten(result.text, 50)}"` : '';
  const label = result.label ? ` ${result.label}` : '';
  return { level: 'info', text: `AgNews: undid the label${label}${excerpt}.` };
}

/** The text on one line, cut to about `max` characters with an ellipsis. */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}
