// The shared univariate sequence model: its TensorFlow.js definition (for training and the
// equivalence test), and its artifact directory (model.json + weights.bin in TensorFlow.js's layers
// format, plus metadata.json). Scoring reads the weights straight into the fused step (cell.ts), so
// it needs no TensorFlow.js backend at all.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import type { LstmWeights } from './cell.ts';

/** Distribution of the detector's per-channel statistics on normal data (training set). */
export interface Calibration {
  /**
   * Scales turning the sustained prediction error and the sustained level deviation (normalised units)
   * into bounded raw scores r = 1 - exp(-d / scale).
   */
  error_scale: number;
  level_scale: number;
  /** Mean and standard deviation of those raw scores on normal data (the detector's prior). */
  error_mean: number;
  error_std: number;
  level_mean: number;
  level_std: number;
  /**
   * Exceedance tables of the per-channel raw statistics on normal data, [raw, -log10 P(≥ raw)]:
   * prediction error (table) and level (level_table).
   */
  table?: Array<[number, number]>;
  level_table?: Array<[number, number]>;
  /** Quantiles of |prediction error|: q50, q90, q99, q999. */
  error_quantiles: Record<string, number>;
  /** Number of channel-steps the figures come from. */
  samples: number;
}

export interface ModelMeta {
  name: string;
  version: string;
  trained_at: string;
  backend: string;
  /** Channels the shared univariate model was trained on (it serves any feature list). */
  features: string[];
  /** Training sequence length (steps). */
  window: number;
  units: number;
  input: 'robust-z (per series online median/MAD-like EW normaliser, clipped)';
  calibration: Calibration;
  training_range: { from: string; to: string; rows: number; series: number; source: string };
  epochs: number;
  final_loss: number;
  [extra: string]: unknown;
}

export interface SequenceModel {
  meta: ModelMeta;
  weights: LstmWeights;
  dir: string;
}

export class ModelLoadError extends Error {}

/** Builds the TensorFlow.js model: LSTM(units, sigmoid recurrent activation) → Dense(1) per step. */
export function buildModel(tf: typeof TF, units: number, seed = 1): TF.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.lstm({
      units,
      inputShape: [null, 1],
      returnSequences: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid', // tfjs defaults to hardSigmoid; cell.ts mirrors sigmoid
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
      name: 'lstm',
    }),
  );
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), name: 'head' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return model;
}

/** Saves the model in TensorFlow.js layers format plus metadata.json, each file written atomically. */
export async function saveModel(tf: typeof TF, model: TF.LayersModel, dir: string, meta: ModelMeta): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const buf = Buffer.from(weightData instanceof ArrayBuffer ? weightData : tf.io.concatenateArrayBuffers(weightData as ArrayBuffer[]));
      writeFileAtomic(join(dir, 'weights.bin'), buf);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  writeFileAtomic(join(dir, 'metadata.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

const HINT = 'train one with `train-model --input-file <normal history CSV> --model-dir <dir>` (or `npm run train:default`)';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

function readArtifacts(dir: string): {
  json: { modelTopology: unknown; weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }> };
  data: ArrayBuffer;
  meta: ModelMeta;
} {
  const modelPath = join(dir, 'model.json');
  if (!existsSync(dir) || !existsSync(modelPath)) {
    throw new ModelLoadError(`no model in ${dir} (model.json missing): ${HINT}`);
  }
  let json;
  let meta: ModelMeta;
  try {
    json = JSON.parse(readFileSync(modelPath, 'utf8'));
    if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error('not a TensorFlow.js layers model');
  } catch (err) {
    throw new ModelLoadError(`corrupt model ${modelPath}: ${(err as Error).message}; ${HINT}`);
  }
  try {
    meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as ModelMeta;
    if (typeof meta.units !== 'number' || !meta.calibration) throw new Error('fields units/calibration missing');
  } catch (err) {
    throw new ModelLoadError(`missing or corrupt ${join(dir, 'metadata.json')}: ${(err as Error).message}; ${HINT}`);
  }
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest as Array<{ paths: string[] }>) {
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) throw new ModelLoadError(`model weights ${file} missing; ${HINT}`);
      parts.push(readFileSync(file));
    }
  }
  const all = Buffer.concat(parts);
  const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { json, data, meta };
}

/** Loads an artifact directory into the fused step's weights. Errors name `train-model`. */
export function loadSequenceModel(dir: string): SequenceModel {
  const { json, data, meta } = readArtifacts(dir);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32') throw new ModelLoadError(`corrupt model in ${dir}: weight ${s.name} has dtype ${s.dtype}; ${HINT}`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (offset + n * 4 > data.byteLength) throw new ModelLoadError(`corrupt model in ${dir}: weights.bin is truncated; ${HINT}`);
    tensors.set(s.name, { shape: s.shape, values: new Float32Array(data.slice(offset, offset + n * 4)) });
    offset += n * 4;
  }
  const find = (suffix: string) => {
    for (const [name, t] of tensors) if (name.endsWith(suffix)) return t;
    throw new ModelLoadError(`corrupt model in ${dir}: weight */${suffix} missing; ${HINT}`);
  };
  const kernel = find('lstm/kernel');
  const units = kernel.shape[1]! / 4;
  const weights: LstmWeights = {
    units,
    kernel: kernel.values,
    recurrent: find('lstm/recurrent_kernel').values,
    bias: find('lstm/bias').values,
    denseKernel: find('head/kernel').values,
    denseBias: find('head/bias').values,
  };
  if (kernel.shape[0] !== 1 || weights.recurrent.length !== units * 4 * units || weights.denseKernel.length !== units) {
    throw new ModelLoadError(`corrupt model in ${dir}: unexpected weight shapes (want a univariate LSTM); ${HINT}`);
  }
  for (const arr of [weights.kernel, weights.recurrent, weights.bias, weights.denseKernel, weights.denseBias]) {
    for (const v of arr) if (!Number.isFinite(v)) throw new ModelLoadError(`corrupt model in ${dir}: non-finite weights; ${HINT}`);
  }
  return { meta: { ...meta, units }, weights, dir };
}

/** Loads the artifact as a TensorFlow.js model (fine-tuning, equivalence test). */
export async function loadTfModel(tf: typeof TF, dir: string): Promise<{ model: TF.LayersModel; meta: ModelMeta }> {
  const { json, data, meta } = readArtifacts(dir);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as TF.io.ModelArtifacts['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as TF.io.WeightsManifestEntry[],
      weightData: data,
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'meanSquaredError' });
  return { model, meta };
}
