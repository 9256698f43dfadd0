// LSTM detector factories: 'lstm' is the production detector the agent runs (and bench:nab scores
// with features ['value']). The model loads once per directory and is shared by every instance.
import { resolve } from 'node:path';
import type { DetectorFactory, DetectorOptions } from '../detector-api.ts';
import { LstmDetector } from './detector.ts';
import { loadSequenceModel, type SequenceModel } from './model.ts';

export const DEFAULT_MODEL_DIR = resolve(import.meta.dirname, '../artifacts/default');

const cache = new Map<string, SequenceModel>();

/** The model in `dir` (default: the shipped one); errors name `train-model`. */
export function sequenceModel(dir: string = DEFAULT_MODEL_DIR): SequenceModel {
  const key = resolve(dir);
  let m = cache.get(key);
  if (!m) {
    m = loadSequenceModel(key);
    cache.set(key, m);
  }
  return m;
}

export function createLstmDetector(opts: DetectorOptions): LstmDetector {
  return new LstmDetector({ features: opts.features, threshold: opts.threshold, model: sequenceModel(opts.modelDir) });
}

export const factories: Record<string, DetectorFactory> = {
  lstm: createLstmDetector,
};

export { LstmDetector } from './detector.ts';
export { loadSequenceModel, ModelLoadError } from './model.ts';
