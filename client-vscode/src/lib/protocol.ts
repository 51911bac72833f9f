// Wire types of the AgNewsLsp server. No `vscode` import: shared by pure modules and tests.
// They mirror the server's C# records (serialised camelCase) and docs/protocol.md field for field, so a
// rename on either side is one search away; fields the server always sends are not optional here.

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
export interface TextDocumentIdentifier { uri: string }

/** initialize's initializationOptions: every key is optional; the server keeps its own value for a missing one. */
export interface InitializationOptions {
  modelPath?: string;
  headPath?: string;
  dataFolder?: string;
  pooling?: Pooling;
  /** 0: the server's default. */
  maxTokens?: number;
  hoverUnit?: HoverUnit;
  cacheFolder?: string;
  maxTextBytes?: number;
  progressThrottleMs?: number;
  publishDiagnostics?: boolean;
  /** Most code lenses (paragraph labels) per document; 0 turns them off on the server. */
  maxInlineLabels?: number;
  /** The corrections file labels taught in place go to (default: .agnews/labels.jsonl in each workspace folder). */
  teachDataset?: string;
  /** Only over TCP: the content of the token file the server named at start. */
  token?: string;
}

export type HoverUnit = 'paragraph' | 'line';
export const HOVER_UNITS: readonly HoverUnit[] = ['paragraph', 'line'];

export type HeadKind = 'hybrid' | 'linear' | 'mlp' | 'hybrid+layers';
export const HEAD_KINDS: readonly HeadKind[] = ['hybrid', 'linear', 'mlp', 'hybrid+layers'];

export type Pooling = 'cls' | 'pooler' | 'mean' | 'cls-last2' | 'cls-last4' | 'mean+cls';
export const POOLINGS: readonly Pooling[] = ['cls', 'pooler', 'mean', 'cls-last2', 'cls-last4', 'mean+cls'];

export interface Prediction {
  label: string;
  labelIndex: number;
  probabilities: { [label: string]: number };
  truncated: boolean;
  /** Length before truncation. */
  tokenCount: number;
  /** The label is one the user gave this text (a correction). */
  byUser?: boolean;
}

/** Exactly one of text, texts, or textDocument with position (the hover unit at that position). */
export interface ClassifyParams {
  text?: string;
  texts?: string[];
  textDocument?: TextDocumentIdentifier;
  position?: Position;
}
export interface ClassifyResult { predictions: Prediction[] }

export interface LabelDocumentParams { uri: string; unit?: 'document' | 'paragraph' }
export interface ParagraphLabel { range: Range; text: string; prediction: Prediction }
export interface LabelDocumentResult {
  uri: string;
  document: Prediction;
  /** Only when unit is "paragraph" (the server leaves null fields out). */
  paragraphs?: ParagraphLabel[];
}

export interface ClassMetrics { label: string; precision: number; recall: number; f1: number; support: number }
export interface Report {
  count: number;
  accuracy: number;
  macroF1: number;
  logLoss: number;
  /** Expected calibration error of the top-class probability (0: calibrated). */
  expectedCalibrationError: number;
  labelNames: string[];
  perClass: ClassMetrics[];
  /** [gold][predicted] */
  confusionMatrix: number[][];
}

export interface Epoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number;
  validationAccuracy: number;
}

export type ProgressToken = string | number;

export interface TrainParams {
  /** One file or folder; dataPaths gives several (a text in several files counts once). */
  dataPath?: string;
  dataPaths?: string[];
  /** Omitted: the server's default kind. */
  headKind?: HeadKind;
  pooling?: Pooling;
  /** Epochs of a linear or mlp head, or of a hybrid+layers head's layers; refused for a hybrid head. */
  maxEpochs?: number;
  /** Passes of the hybrid kinds' solver; refused for linear and mlp heads. */
  maxPasses?: number;
  seed?: number;
  validationFraction?: number;
  skipBadRows?: boolean;
  /** Only the first N rows. */
  limit?: number;
  workDoneToken?: ProgressToken;
}
export interface TrainResult {
  headPath: string;
  headKind: HeadKind;
  trainCount: number;
  validationCount: number;
  skippedRows: number;
  /** Texts left out because an earlier file held them. */
  duplicateRows: number;
  files: string[];
  featureSeconds: number;
  trainSeconds: number;
  /** The fitted scalar that divides the logits (calibration; labels do not change). */
  temperature: number;
  validation: Report;
  history: Epoch[];
}

export interface EvaluateParams {
  dataPath?: string;
  dataPaths?: string[];
  skipBadRows?: boolean;
  limit?: number;
  workDoneToken?: ProgressToken;
}
export type EvaluateResult = Report;

export interface StatusResult {
  modelName: string;
  modelPath: string;
  headPath: string | null;
  /** The loaded head's pooling; without a head, trainPooling. */
  pooling: string;
  /** This session's pooling setting: what agnews/train and agnews/embed use when a request names none. */
  trainPooling: string;
  device: string;
  precision: string;
  maxTokens: number;
  cacheDirectory: string;
  cachedFeatureFiles: number;
  training: boolean;
  lastMetrics: Report | null;
  /** What lastMetrics measured: "validation" (the head's held-out rows) or "evaluation: FILES". */
  lastMetricsSource: string | null;
  /** The loaded head's classes, in its output order (null: no head). */
  labelNames: string[] | null;
}

export type LabelFolderUnit = 'document' | 'paragraph';
export const LABEL_FOLDER_UNITS: readonly LabelFolderUnit[] = ['document', 'paragraph'];
export type LabelFolderFormat = 'csv' | 'jsonl';
export const LABEL_FOLDER_FORMATS: readonly LabelFolderFormat[] = ['csv', 'jsonl'];
/** The server's include when a request names none. */
export const DEFAULT_LABEL_FOLDER_INCLUDE = '**/*.{txt,md}';

/** Globs are relative to folder: * and ? within a segment, ** across segments, {a,b} alternatives; exclude wins. */
export interface LabelFolderParams {
  /** A path or file: URI: a workspace folder or a folder inside one. */
  folder: string;
  /** Default: [DEFAULT_LABEL_FOLDER_INCLUDE]. */
  include?: string[];
  exclude?: string[];
  /** Default "document". */
  unit?: LabelFolderUnit;
  /** Default: the output's extension (.csv, .jsonl). */
  format?: LabelFolderFormat;
  /** A path or file: URI of the file to write, inside a workspace folder; a relative path is taken in folder. */
  output: string;
  workDoneToken?: ProgressToken;
}
export interface SkippedFile { file: string; reason: string }
/** Every class of the head, in its order; paragraphs is 0 with unit "document". */
export interface LabelCount { label: string; documents: number; paragraphs: number }
export interface LabelFolderResult {
  folder: string;
  /** The written file (null only from the command line without an output file). */
  output: string | null;
  format: LabelFolderFormat;
  unit: LabelFolderUnit;
  /** Files the globs matched: labelled + skipped. */
  filesMatched: number;
  filesLabeled: number;
  rows: number;
  skipped: number;
  /** The first 100 skipped files (relative to folder) with the reason. */
  skippedFiles: SkippedFile[];
  labelCounts: LabelCount[];
  seconds: number;
}

export interface EmbedParams { texts: string[]; pooling?: Pooling }
export interface EmbedResult { modelName: string; fingerprint: string; pooling: string; dimension: number; vectors: number[][] }

/** A person labels the paragraph at textDocument + position (or the text in range, or a text): a head class or a new one. */
export interface CorrectParams {
  label?: string | null;
  textDocument?: { uri: string };
  position?: Position;
  range?: Range;
  text?: string;
}
export interface NewClass { label: string; examples: number; weak: boolean }
export interface CorrectResult {
  text: string;
  label: string;
  /** The corrections file (JSONL) it went to. */
  dataset: string;
  replacedLabel?: string | null;
  newClasses: NewClass[];
  corrections: number;
  message: string;
}
export interface UndoCorrectionParams { textDocument?: { uri: string } }
export interface UndoCorrectionResult {
  undone: boolean;
  text?: string | null;
  label?: string | null;
  dataset: string;
  corrections: number;
  newClasses: NewClass[];
}
export interface SuggestParams { uris?: string[]; path?: string; max?: number }
export interface Suggestion { uri: string; range: Range; text: string; prediction: Prediction; margin: number }
export interface SuggestResult { suggestions: Suggestion[] }

export const Methods = {
  classify: 'agnews/classify',
  labelDocument: 'agnews/labelDocument',
  labelFolder: 'agnews/labelFolder',
  train: 'agnews/train',
  evaluate: 'agnews/evaluate',
  status: 'agnews/status',
  embed: 'agnews/embed',
  correct: 'agnews/correct',
  undoCorrection: 'agnews/undoCorrection',
  suggest: 'agnews/suggest',
} as const;

/**
 * The commands the server advertises in executeCommandProvider (docs/protocol.md, Lifecycle). vscode-languageclient
 * registers each as a VS Code command when it starts, so a client command with one of these ids would make the start fail.
 */
export const SERVER_COMMANDS: readonly string[] = ['agnews/classify', 'agnews/correct', 'agnews/evaluate', 'agnews/labelDocument', 'agnews/labelFolder',
  'agnews/status', 'agnews/suggest', 'agnews/train', 'agnews/undoCorrection'];

export const ErrorCodes = {
  busy: -32001,
  notInitialized: -32002,
  badInput: -32003,
  unauthorized: -32004,
  invalidParams: -32602,
  requestCancelled: -32800,
} as const;
