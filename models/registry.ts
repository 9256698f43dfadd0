// Detectors by name, for the agent's --detector option and the benchmarks. Each family exports its
// factories from its own index, so adding a detector touches only its own folder.
import type { Detector } from './detector-api.ts';
import { factories as lstmFactories } from './lstm/index.ts';
import { factories as baselineFactories } from './baselines/index.ts';

export interface DetectorOptions {
  /** Feature names, in Observation.values order (the pod features, or ['value'] for one series). */
  features: readonly string[];
  /** Alert threshold on the calibrated probability (0..1). */
  threshold: number;
  /** Model artifact directory (LSTM); default models/artifacts/default. */
  modelDir?: string | undefined;
}

export type DetectorFactory = (opts: DetectorOptions) => Detector | Promise<Detector>;

const registry: Record<string, DetectorFactory> = { ...lstmFactories, ...baselineFactories };

export function detectorNames(): string[] {
  return Object.keys(registry);
}

export async function createDetector(name: string, opts: DetectorOptions): Promise<Detector> {
  const factory = registry[name];
  if (!factory) throw new Error(`unknown detector "${name}" (known: ${detectorNames().join(', ')})`);
  return factory(opts);
}
