import type { Prediction, Report, StatusResult, TrainResult } from '../src/lib/protocol';

export function prediction(label: string, probs: Record<string, number>, truncated = false): Prediction {
  const labels = Object.keys(probs);
  return { label, labelIndex: labels.indexOf(label), probabilities: probs, truncated, tokenCount: 42 };
}

export const sports = prediction('Sports', { World: 0.02, Sports: 0.93, Business: 0.03, 'Sci/Tech': 0.02 });
export const business = prediction('Business', { World: 0.1, Sports: 0.05, Business: 0.7, 'Sci/Tech': 0.15 });

export const report: Report = {
  count: 400, accuracy: 0.875, macroF1: 0.871, logLoss: 0.4123, expectedCalibrationError: 0.0312,
  labelNames: ['World', 'Sports', 'Business', 'Sci/Tech'],
  perClass: [
    { label: 'World', precision: 0.9, recall: 0.88, f1: 0.89, support: 100 },
    { label: 'Sports', precision: 0.95, recall: 0.97, f1: 0.96, support: 100 },
    { label: 'Business', precision: 0.8, recall: 0.82, f1: 0.81, support: 100 },
    { label: 'Sci/Tech', precision: 0.85, recall: 0.83, f1: 0.84, support: 100 },
  ],
  confusionMatrix: [[88, 3, 5, 4], [1, 97, 1, 1], [6, 1, 82, 11], [4, 1, 12, 83]],
};

export const train: TrainResult = {
  headPath: '/cache/heads/head-20261126.bin', headKind: 'hybrid', trainCount: 900, validationCount: 100, skippedRows: 2,
  duplicateRows: 0, files: ['/data/train.csv'], featureSeconds: 12.5, trainSeconds: 1.25, temperature: 1.1, validation: report,
  history: [1, 2, 3, 4, 5].map((e) => ({ epoch: e, trainLoss: 1.2 / e, trainAccuracy: 0.6 + e * 0.06, validationLoss: 1.3 / e + 0.05, validationAccuracy: 0.58 + e * 0.055 })),
};

export const status: StatusResult = {
  modelName: 'all-MiniLM-L6-v2', modelPath: '/models/minilm', headPath: '/cache/heads/head.bin', pooling: 'mean', trainPooling: 'mean',
  device: 'cpu', precision: 'fp32', maxTokens: 256, cacheDirectory: '/cache', cachedFeatureFiles: 3, training: false, lastMetrics: report,
  labelNames: ['World', 'Sports', 'Business', 'Sci/Tech'],
  lastMetricsSource: 'validation',
};
