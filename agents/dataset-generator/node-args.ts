// Node/V8 options the dataset-generator agent is started with, by the supervisor (run-monitoring) and by
// bench:perf alike. A 16 MB young generation instead of V8's default for a 4 GB heap (larger): at 150,000
// pods it cuts peak RSS and the longest GC pause (measured in docs/notes/performance-changes.md, towards the
// 150,000-pod targets in docs/BENCHMARKS.md), since the agent's per-row garbage dies young and its
// long-lived state is in typed arrays.
// The launcher (bin/podsentinel.mjs, lib/relaunch.ts) starts a standalone agent with them too.
export const AGENT_NODE_ARGS: readonly string[] = ['--max-semi-space-size=16'];
