// Baseline detector factories (filled in by the baselines implementation).
import type { DetectorFactory } from '../registry.ts';

export const factories: Record<string, DetectorFactory> = {};
