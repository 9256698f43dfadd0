// Baseline detectors for the benchmarks, registered by name for --detector.
import type { DetectorFactory } from '../detector-api.ts';
import { IsolationForestDetector } from './isolation-forest.ts';
import { RollingMedianDetector } from './rolling-median.ts';
import { ZScoreDetector } from './zscore.ts';

export { IsolationForestDetector, RollingMedianDetector, ZScoreDetector };

export const factories: Record<string, DetectorFactory> = {
  'isolation-forest': (o) => new IsolationForestDetector({ features: o.features, threshold: o.threshold }),
  'rolling-median': (o) => new RollingMedianDetector({ features: o.features, threshold: o.threshold }),
  zscore: (o) => new ZScoreDetector({ features: o.features, threshold: o.threshold }),
};
