// LSTM detector factories (filled in by the detector implementation).
import type { DetectorFactory } from '../registry.ts';

export const factories: Record<string, DetectorFactory> = {};
