// Wire types of the AgNewsLsp server (docs/protocol.md). No `vscode` import: shared by pure modules and tests.

export interface Prediction {
  label: string;
  labelIndex: number;
  probabilities: { [label: string]: number };
  truncated: boolean;
  tokenCount: number;
}

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export interface ClassifyParams { text?: string; texts?: string[] }
export interface ClassifyResult { predictions: Prediction[] }

export interface LabelDocumentParams { uri: string; unit?: 'document' | 'paragraph' }
export interface LabelDocumentResult {
  uri: string;
  document: Prediction;
  paragraphs?: { range: Range; text: string; prediction: Prediction }[];
}

export interface PerClass { label: string; precision: number; recall: number; f1: number; support: number }
export interface Report {
  count: number;
  accuracy: number;
  macroF1: number;
  logLoss: number;
  /** Expected calibration error of the top-class probability (0: calibrated). */
  expectedCalibrationError?: number;
  labelNames: string[];
  perClass: PerClass[];
  /** [gold][predicted] */
  confusionMatrix: number[][];
}

export interface HistoryEntry {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number;
  validationAccuracy: number;
}

export type HeadKind = 'hybrid' | 'linear' | 'mlp';
export const HEAD_KINDS: readonly HeadKind[] = ['hybrid', 'linear', 'mlp'];

export interface TrainParams {
  /** One file or folder; dataPaths gives several (a text in several files counts once). */
  dataPath?: string;
  dataPaths?: string[];
  headKind?: HeadKind;
  pooling?: string;
  maxEpochs?: number;
  seed?: number;
  validationFraction?: number;
  skipBadRows?: boolean;
  limit?: number;
  workDoneToken?: string | number;
}
export interface TrainResult {
  headPath: string;
  headKind?: HeadKind;
  trainCount: number;
  validationCount: number;
  skippedRows: number;
  duplicateRows?: number;
  files?: string[];
  temperature?: number;
  featureSeconds: number;
  trainSeconds: number;
  validation: Report;
  history: HistoryEntry[];
}

export interface EvaluateParams {
  dataPath?: string;
  dataPaths?: string[];
  skipBadRows?: boolean;
  limit?: number;
  workDoneToken?: string | number;
}

export interface StatusResult {
  modelName: string;
  modelPath: string;
  headPath: string | null;
  pooling: string;
  device: string;
  precision: string;
  maxTokens: number;
  cacheDirectory: string;
  cachedFeatureFiles: number;
  training: boolean;
  lastMetrics: Report | null;
  /** The loaded head's classes, in its output order (null: no head). */
  labelNames: string[] | null;
}

export const Methods = {
  classify: 'agnews/classify',
  labelDocument: 'agnews/labelDocument',
  train: 'agnews/train',
  evaluate: 'agnews/evaluate',
  status: 'agnews/status',
} as const;

export const ErrorCodes = {
  busy: -32001,
  notInitialized: -32002,
  badInput: -32003,
  requestCancelled: -32800,
} as const;
