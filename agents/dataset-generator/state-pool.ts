// Per-pod Float64 state handed out as views of shared slabs. A Float64Array of its own per pod costs an
// ArrayBuffer, its backing store and their bookkeeping (several hundred bytes beside a few hundred of
// data; the exhaustion forecasts' state alone added about 130 MB of peak RSS at 150,000 pods that way).
// A forgotten pod's view is handed to the next new pod; a slab (lib/state-slabs.ts) is freed once none of its
// views lives.
import { slabItems } from '../../lib/state-slabs.ts';

export class Float64StatePool {
  private readonly initial: Float64Array;
  /** States per slab (lib/state-slabs.ts). */
  private readonly perSlab: number;
  private slab: Float64Array | null = null;
  private used = 0;
  private readonly spare: Float64Array[] = [];

  /** `initial`: a new state, copied into every view handed out. */
  constructor(initial: Float64Array) {
    this.initial = initial.slice();
    this.perSlab = slabItems(initial.byteLength);
  }

  /** A fresh state (a copy of the initial one). */
  take(): Float64Array {
    const n = this.initial.length;
    let v = this.spare.pop();
    if (!v) {
      if (!this.slab || this.used === this.perSlab) {
        this.slab = new Float64Array(n * this.perSlab);
        this.used = 0;
      }
      v = this.slab.subarray(this.used * n, ++this.used * n);
    }
    v.set(this.initial);
    return v;
  }

  /** A state no pod uses any more (its checkpoint copy is taken); one of another size (grown) is left to the GC. */
  release(v: Float64Array | null): void {
    if (v && v.length === this.initial.length) this.spare.push(v);
  }
}
