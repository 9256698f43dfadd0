// Node/V8 options the dataset-generator agent is started with, by the supervisor (run-monitoring) and by
// bench:perf alike. A 16 MB young generation instead of V8's default for a 4 GB heap (larger): at 150,000
// pods it cut peak RSS by ~100 MB and the longest GC pause from 60–150 ms to ~25 ms (bench:perf, towards the
// 150,000-pod targets of ≥ 30,000 rows/s on one core and peak RSS ≤ 1.5 GB), since the agent's per-row
// garbage dies young and its long-lived state is in typed arrays.
// Started by hand at that scale: NODE_OPTIONS=--max-semi-space-size=16.
export const AGENT_NODE_ARGS: readonly string[] = ['--max-semi-space-size=16'];
