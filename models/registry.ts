// Detectors by name, for the agent's --detector option and the benchmarks. Each family exports its
// factories from its own index, so adding a detector touches only its own folder.
import type { Detector, DetectorFactory, DetectorOptions } from './detector-api.ts';
import { factories as lstmFactories } from './lstm/index.ts';
import { factories as baselineFactories } from './baselines/index.ts';

// The option types live in detector-api.ts, below both this file and the families it imports.
export type { DetectorFactory, DetectorOptions };

const registry: Record<string, DetectorFactory> = { ...lstmFactories, ...baselineFactories };

export function detectorNames(): string[] {
  return Object.keys(registry);
}

export async function createDetector(name: string, opts: DetectorOptions): Promise<Detector> {
  const factory = registry[name];
  if (!factory) throw new Error(`unknown detector "${name}" (known: ${detectorNames().join(', ')})`);
  return factory(opts);
}
