// Node/V8 options the collector (dataset-generator) is started with, by the supervisor (run-monitoring),
// the launcher (bin/podsentinel.mjs, lib/relaunch.ts) and bench:perf alike. A tick reads its cAdvisor
// pages and PodMetrics list off the socket into Buffers outside the JS heap (~170 MB per tick at 50,000
// pods); by default V8 starts a full collection for every 64 MB of such memory, marking the whole heap
// (the pod store, the counters) several times a tick. Counting it in the heap's global limit instead
// cut the 50,000-pod tick from ~3.4 s to ~2.0 s of CPU for ~150 MB more peak RSS (docs/BENCHMARKS.md,
// Collector tick). No memory reducer: between ticks the process idles, and V8's memory reducer then ran
// full collections to shrink a heap that the next tick grows back (a mark of the pod store each time);
// without it the GC pauses of a 50,000-pod tick fell in 6 of 6 alternating runs and its CPU in 4 of 6
// (median ratio ×0.77, docs/BENCHMARKS.md, Collector tick).
export const COLLECTOR_NODE_ARGS: readonly string[] = ['--external-memory-accounted-in-global-limit', '--no-memory-reducer'];
