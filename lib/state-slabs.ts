// Per-pod state (the detector's series, the seasonal profiles, the forecasts) is cut from slabs: one
// backing store for thousands of pods instead of one each. A slab is 16 MB so that it is a mapping of its
// own, which the agent's glibc.malloc.hugetlb=1 (agents/dataset-generator/node-args.ts) backs with 2 MB
// transparent huge pages: a new pod's first touch of its state costs one page fault per 2 MB instead of one
// per 4 KB (10–15 µs each on this class of VM). A slab under 2 MB gets huge pages only when glibc happens to
// serve it from its heap (its dynamic mmap threshold decides): in a fresh process, 0.84 MB slabs got none
// and their first fill took 1.4 s at 150,000 pods, against 0.2–0.4 s for 16 MB ones. Untouched pages of a
// slab are never resident, so a small cluster does not pay for the size.

export const SLAB_BYTES = 16 * 1024 * 1024;

/** How many items of `itemBytes` one slab holds (at least one). */
export function slabItems(itemBytes: number): number {
  return Math.max(1, Math.floor(SLAB_BYTES / itemBytes));
}
