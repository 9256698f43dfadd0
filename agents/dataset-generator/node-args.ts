// Node/V8 options and glibc settings the dataset-generator agent is started with, by the supervisor
// (run-monitoring), the launcher (bin/podsentinel.mjs, lib/relaunch.ts) and bench:perf alike, so nobody
// sets NODE_OPTIONS or GLIBC_TUNABLES by hand.
import type { GlibcTunables } from '../../lib/glibc-tunables.ts';

// A 16 MB young generation instead of V8's default for a 4 GB heap (larger): at 150,000 pods it cuts peak
// RSS and the longest GC pause (measured in docs/notes/performance-changes.md, towards the 150,000-pod
// targets in docs/BENCHMARKS.md), since the agent's per-row garbage dies young and its long-lived state is
// in typed arrays.
// External memory (its slabs, the scores file's and checkpoint's buffers) counted in the heap's global
// limit: by default V8 starts a full collection for every 64 MB of ArrayBuffers, which at 150,000 new pods
// marked the heap 16 times a run, on the agent's own core (its marking threads share the pinned core).
// With it, 3-5 full collections: ×1.2 rows/s side by side for ~30 MB more peak RSS (docs/BENCHMARKS.md,
// Performance; as the collector, collectors/node-args.ts).
export const AGENT_NODE_ARGS: readonly string[] = ['--max-semi-space-size=16', '--external-memory-accounted-in-global-limit'];

// The per-pod state (about 6 KB a pod, ~0.9 GB at 150,000 pods) lives in large typed-array slabs that malloc
// maps fresh, and every 4 KB page of them costs a page fault at first touch (10-15 µs each on the VMs
// measured; filling new pods' seasonal slabs alone took ~1.4 s of a 15 s run of 150,000 new pods). With
// hugetlb=1 malloc asks for transparent huge pages on those mappings (madvise; THP in "madvise" or "always"
// mode), one fault per 2 MB: at 150,000 pods ×1.09 rows/s and ×1.12 per CPU-second side by side, peak RSS
// ×0.97 (docs/BENCHMARKS.md, Performance).
export const AGENT_GLIBC_TUNABLES: GlibcTunables = { 'glibc.malloc.hugetlb': '1' };
