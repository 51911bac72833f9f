// The `agnews.*` settings: ONE table, and everything derived from it. No `vscode` import.
//
// Each setting is declared once below: its VS Code key, type, default, description, allowed values, and where its
// value goes (the server's start, initializationOptions under a name, or the params of a request). From the table
// come: reading and normalising the settings, initializationOptions, the settings part of agnews/train and
// agnews/evaluate params, the "does this change need a server restart" rule, and package.json's
// `contributes.configuration` plus the README's settings table.
//
// Why package.json is generated from this table and not the other way round: package.json cannot say where a value
// goes or how it is normalised, so a table that read package.json would still need a second per-setting list for
// that. Generating keeps one place to edit; `npm run generate-settings` writes package.json and the README table, and
// a unit test fails when they no longer match the table.
import type { EvaluateParams, InitializationOptions, TrainParams } from './protocol';
import { HEAD_KINDS, HOVER_UNITS, Methods, POOLINGS } from './protocol';
import { type PathContext, resolvePath } from './paths';

/** The configuration section: VS Code keys are `agnews.<key>`. */
export const SECTION = 'agnews';

/** The params of the requests that take values from settings, by method. */
export interface SettingRequestParams {
  [Methods.train]: TrainParams;
  [Methods.evaluate]: EvaluateParams;
}
export type SettingRequest = keyof SettingRequestParams;

/** Where a setting's value goes. */
export type Destination =
  /** Read when the server starts: which binary runs, which documents it serves. */
  | { to: 'serverStart' }
  /** Sent once, in initialize's initializationOptions, under `name`. */
  | { to: 'initializationOptions'; name: keyof InitializationOptions }
  /** Sent with every request of the listed methods, in its params under the name given for that method. */
  | { to: 'requestParams'; params: { [M in SettingRequest]?: keyof SettingRequestParams[M] } }
  /** Read by the client only, when it is used (e.g. whether to show inline labels); never sent. */
  | { to: 'client' };

/** The value types; each has one normalisation rule (see `normalise`). */
export type SettingType =
  /** A path as the user writes it (`~`, `${workspaceFolder}`, relative to the workspace); made absolute when sent. */
  | { type: 'path'; default: '' }
  /** One of `values`; anything else reads as the default. "" means: the server's default. */
  | { type: 'enum'; values: readonly string[]; default: string }
  /** A whole number >= 0; 0 means: the server's default. */
  | { type: 'count'; default: 0 }
  /** Distinct non-empty strings. */
  | { type: 'stringList'; default: readonly string[] }
  /** true or false; anything else reads as the default. */
  | { type: 'boolean'; default: boolean };

export type SettingSpec = SettingType & {
  /** The key under `agnews.`. */
  key: string;
  /** Markdown, shown in the Settings UI and the README. */
  description: string;
  goesTo: Destination;
};

/** Every setting. The property name is the normalised value's name (the server's vocabulary). */
export const SETTINGS = {
  serverPath: {
    key: 'server.path', type: 'path', default: '', goesTo: { to: 'serverStart' },
    description: 'Path to the server: `agnews.dll` (started with `dotnet`), a folder holding it, or a self-contained `agnews` executable. Empty: the `server/` folder inside the extension, else `agnews` on `PATH`.',
  },
  modelPath: {
    key: 'modelPath', type: 'path', default: '', goesTo: { to: 'initializationOptions', name: 'modelPath' },
    description: 'Encoder model (file or folder). Empty: the server\'s embedded default.',
  },
  headPath: {
    key: 'headPath', type: 'path', default: '', goesTo: { to: 'initializationOptions', name: 'headPath' },
    description: 'Trained classification head. Empty: the server\'s default.',
  },
  dataFolder: {
    key: 'dataFolder', type: 'path', default: '', goesTo: { to: 'initializationOptions', name: 'dataFolder' },
    description: 'Folder with labelled training data: **Train Head** reads every `train*` file in it (e.g. AG News `train.csv` and `train-more.csv`; a text in several files counts once). Empty: ask (several files or folders may be picked).',
  },
  maxTokens: {
    key: 'maxTokens', type: 'count', default: 0, goesTo: { to: 'initializationOptions', name: 'maxTokens' },
    description: 'Maximum tokens per text (longer texts are truncated). 0: the server\'s default.',
  },
  teachDataset: {
    key: 'teach.dataset', type: 'path', default: '', goesTo: { to: 'initializationOptions', name: 'teachDataset' },
    description: 'The corrections file (JSONL) that labels you give in place go to; `agnews train --data` reads it like any labelled data. Empty: `.agnews/labels.jsonl` in the workspace folder of each document.',
  },
  hoverUnit: {
    key: 'hoverUnit', type: 'enum', values: HOVER_UNITS, default: 'paragraph', goesTo: { to: 'initializationOptions', name: 'hoverUnit' },
    description: 'What a hover classifies: the blank-line separated paragraph or the line.',
  },
  languages: {
    key: 'languages', type: 'stringList', default: ['plaintext', 'markdown'], goesTo: { to: 'serverStart' },
    description: 'Language ids in which the server hovers and labels (e.g. add `latex`, `restructuredtext`). The extension wakes up for plain text, Markdown or an AgNews command, then serves every language listed.',
  },
  headKind: {
    key: 'train.headKind', type: 'enum', values: ['', ...HEAD_KINDS], default: '', goesTo: { to: 'requestParams', params: { [Methods.train]: 'headKind' } },
    description: 'Head kind for **Train Head**: `hybrid` (encoder features joined with word and character n-grams; seconds to retrain), `hybrid+layers` (a hybrid part mixed with trained copies of the encoder\'s top two layers: the shipped head\'s kind, the most accurate, tens of minutes to train), `linear` or `mlp` (encoder features only). Empty: the server\'s default, `hybrid`.',
  },
  pooling: {
    key: 'train.pooling', type: 'enum', values: ['', ...POOLINGS], default: '', goesTo: { to: 'requestParams', params: { [Methods.train]: 'pooling' } },
    description: 'Pooling for heads trained with **Train Head** (a loaded head keeps its own). Empty: the server\'s default, `cls-last4`.',
  },
  maxEpochs: {
    key: 'train.maxEpochs', type: 'count', default: 0, goesTo: { to: 'requestParams', params: { [Methods.train]: 'maxEpochs' } },
    description: 'Maximum training epochs for **Train Head**: a `linear` or `mlp` head\'s epochs, or for `hybrid+layers` its layers\' epochs, 4 by default. A `hybrid` head has no epochs (see `agnews.train.maxPasses`), so Train refuses it there. 0: the server\'s default.',
  },
  maxPasses: {
    key: 'train.maxPasses', type: 'count', default: 0, goesTo: { to: 'requestParams', params: { [Methods.train]: 'maxPasses' } },
    description: 'Maximum passes of the linear solver for **Train Head** with `hybrid` or `hybrid+layers` (it stops sooner once converged). `linear` and `mlp` heads have no solver, so Train refuses it there. 0: the server\'s default, 100.',
  },
  inlineLabels: {
    key: 'inlineLabels', type: 'boolean', default: true, goesTo: { to: 'client' },
    description: 'Show each paragraph\'s label (e.g. `Sports 97%`) above it as a code lens, updated as you type. Also **AgNews: Toggle Inline Labels**.',
  },
  limit: {
    key: 'limit', type: 'count', default: 0, goesTo: { to: 'requestParams', params: { [Methods.train]: 'limit', [Methods.evaluate]: 'limit' } },
    description: 'Use only the first N rows for **Train Head** and **Evaluate** (quick runs). 0: all rows.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

type ValueOf<S> =
  S extends { type: 'enum'; values: readonly (infer V)[] } ? V
    : S extends { type: 'count' } ? number
      : S extends { type: 'stringList' } ? string[]
        : S extends { type: 'boolean' } ? boolean
          : string;

/** The normalised settings, one field per table entry. */
export type AgNewsSettings = { -readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

/** The table as a list, in declaration order. */
export const SETTING_LIST: readonly (SettingSpec & { name: SettingName })[] =
  (Object.keys(SETTINGS) as SettingName[]).map((name) => ({ name, ...(SETTINGS[name] as SettingSpec) }));

/** `agnews.<key>` */
export function fullKey(spec: { key: string }): string {
  return `${SECTION}.${spec.key}`;
}

function normalise(spec: SettingSpec, raw: unknown): unknown {
  switch (spec.type) {
    case 'path':
      return typeof raw === 'string' ? raw.trim() : spec.default;
    case 'enum': {
      const v = typeof raw === 'string' ? raw.trim() : undefined;
      return v !== undefined && spec.values.includes(v) ? v : spec.default;
    }
    case 'count':
      return typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? Math.floor(raw) : 0;
    case 'stringList':
      return Array.isArray(raw)
        ? [...new Set(raw.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()))]
        : spec.default.slice();
    case 'boolean':
      return typeof raw === 'boolean' ? raw : spec.default;
  }
}

/** Reads every setting through a getter of section-relative keys (e.g. WorkspaceConfiguration.get) and normalises it. */
export function readSettings(get: (key: string) => unknown): AgNewsSettings {
  const out: Record<string, unknown> = {};
  for (const spec of SETTING_LIST) out[spec.name] = normalise(spec, get(spec.key));
  return out as AgNewsSettings;
}

/** The value as sent, or undefined for "unset" ("" or 0), so the server keeps its own default. */
function wireValue(spec: SettingSpec, value: unknown, ctx: PathContext): unknown {
  if (value === '' || value === 0) return undefined;
  return spec.type === 'path' ? resolvePath(value as string, ctx) : value;
}

/** initializationOptions: the set values of the settings that go there. */
export function toInitializationOptions(s: AgNewsSettings, ctx: PathContext = {}): InitializationOptions {
  const o: Record<string, unknown> = {};
  for (const spec of SETTING_LIST) {
    if (spec.goesTo.to !== 'initializationOptions') continue;
    const v = wireValue(spec, s[spec.name], ctx);
    if (v !== undefined) o[spec.goesTo.name] = v;
  }
  return o as InitializationOptions;
}

/** The part of a request's params that comes from settings (set values only); the command adds the rest. */
export function requestParamsFromSettings<M extends SettingRequest>(method: M, s: AgNewsSettings, ctx: PathContext = {}): Partial<SettingRequestParams[M]> {
  const o: Record<string, unknown> = {};
  for (const spec of SETTING_LIST) {
    if (spec.goesTo.to !== 'requestParams') continue;
    const name = spec.goesTo.params[method];
    if (name === undefined) continue;
    const v = wireValue(spec, s[spec.name], ctx);
    if (v !== undefined) o[name as string] = v;
  }
  return o as Partial<SettingRequestParams[M]>;
}

/**
 * A change needs a server restart exactly when the setting is read at start (binary, languages) or travels in
 * initializationOptions, which the server reads once; request params are read afresh by every request, and client
 * settings when the client uses them.
 */
export function needsRestart(spec: SettingSpec): boolean {
  return spec.goesTo.to === 'serverStart' || spec.goesTo.to === 'initializationOptions';
}

/** The full keys of the settings whose change needs a restart. */
export const RESTART_KEYS: readonly string[] = SETTING_LIST.filter(needsRestart).map(fullKey);

/** Which of the restart settings a configuration change touches (`affects`: e.g. ConfigurationChangeEvent.affectsConfiguration). */
export function changedRestartKeys(affects: (fullKey: string) => boolean): string[] {
  return RESTART_KEYS.filter((k) => affects(k));
}
