// Gap novelty: which parts of a channel's range its values have visited. Range novelty sees a value beyond
// everything a series has shown; a value inside the range but far from any value seen before (a spike
// halfway up to the usual peaks, a level between two the series alternates between) is news of the same
// kind, and it only shows against a map of the visited values. The map is an occupancy bitmap of
// MAP_BINS bins over a frame that contains every value so far: when a value falls outside, the frame
// doubles towards it and pairs of old bins merge exactly, so the map never claims a visit that did not
// happen within a bin's width. State per channel: RANGE_MAP_SIZE Float32 slots (frame start and width,
// then the bits in 16-bit words: integers a Float32 holds exactly).

export const MAP_BINS = 128;
const WORD = 16;
const WORDS = MAP_BINS / WORD;
const START = 0,
  WIDTH = 1,
  BITS = 2;
export const RANGE_MAP_SIZE = BITS + WORDS;
/** Names the layout in snapshots. */
export const RANGE_MAP_LAYOUT = `f32:${BITS}+${WORDS}x${WORD}`;

/** A first frame is this much wider than the two values that define it, so both fall inside. */
const FIRST_PAD = 1 / 1024;

/** Puts every channel of the maps in `s` from `from` on back to "nothing seen"; returns `s`. */
export function resetRangeMap(s: Float32Array, from = 0): Float32Array {
  s.fill(0, from);
  return markRangeMapsEmpty(s, from);
}

/** Marks the maps from `from` on as "nothing seen" where their slots are zero already (a new buffer); returns `s`. */
export function markRangeMapsEmpty(s: Float32Array, from = 0): Float32Array {
  for (let o = from; o < s.length; o += RANGE_MAP_SIZE) s[o + START] = NaN;
  return s;
}

export function newRangeMap(channels = 1): Float32Array {
  return resetRangeMap(new Float32Array(channels * RANGE_MAP_SIZE));
}

/** Bit b of the words starting at s[w]. */
function bitAt(s: Float32Array, w: number, b: number): boolean {
  return ((s[w + (b >> 4)]! >> (b & 15)) & 1) === 1;
}

function bit(s: Float32Array, o: number, b: number): boolean {
  return bitAt(s, o + BITS, b);
}

function setBit(s: Float32Array, o: number, b: number): void {
  const w = o + BITS + (b >> 4);
  s[w] = s[w]! | (1 << (b & 15));
}

/** The bin of x in the frame (clamped: the frame's float32 edges may round just inside a value). */
function binOf(x: number, start: number, width: number): number {
  const b = Math.floor(((x - start) / width) * MAP_BINS);
  return b < 0 ? 0 : b >= MAP_BINS ? MAP_BINS - 1 : b;
}

/**
 * Whether no value seen so far lies within `reach` of x (as far as bins can tell: a bin that overlaps
 * [x - reach, x + reach] and was visited counts as a value within reach). False while the map has no frame.
 */
export function inGap(s: Float32Array, o: number, x: number, reach: number): boolean {
  const width = s[o + WIDTH]!;
  if (!(width > 0 && width < Infinity) || !(x > -F32_SAFE && x < F32_SAFE)) return false;
  // bins overlapping [x - reach, x + reach], inside the frame (nothing was seen outside it)
  const start = s[o + START]!;
  const b0 = Math.floor(((x - reach - start) / width) * MAP_BINS);
  const b1 = Math.floor(((x + reach - start) / width) * MAP_BINS);
  for (let b = b0 < 0 ? 0 : b0, end = b1 >= MAP_BINS ? MAP_BINS - 1 : b1; b <= end; b++) if (bit(s, o, b)) return false;
  return true;
}

/** Values the map can place: a Float32 frame holds magnitudes up to ~3.4e38 (beyond, a value is not mapped). */
const F32_SAFE = 1e38;

/** Records a visit of x (call after inGap for the same value). */
export function visit(s: Float32Array, o: number, x: number): void {
  if (!(x > -F32_SAFE && x < F32_SAFE)) return; // NaN, infinities and magnitudes a Float32 frame cannot hold
  let start = s[o + START]!;
  let width = s[o + WIDTH]!;
  if (start !== start) {
    s[o + START] = x; // the first value: no frame until a second, different one
    return;
  }
  if (width === 0) {
    if (x === start) return;
    // the first frame spans the two distinct values seen (every earlier value equals the first)
    const lo = Math.min(x, start),
      hi = Math.max(x, start);
    const w = (hi - lo) * (1 + FIRST_PAD);
    s[o + START] = lo - (hi - lo) * (FIRST_PAD / 2);
    s[o + WIDTH] = w;
    start = s[o + START]!;
    width = s[o + WIDTH]!;
    setBit(s, o, binOf(lo, start, width));
    setBit(s, o, binOf(hi, start, width));
    return;
  }
  const tol = width * 1e-6;
  while (x < start - tol || x > start + width + tol) {
    // double towards x: old bins j and j+1 (j even) become one, in the half of the new frame that holds them
    const left = x < start;
    const old = s.slice(o + BITS, o + BITS + WORDS);
    s.fill(0, o + BITS, o + BITS + WORDS);
    const shift = left ? MAP_BINS / 2 : 0;
    for (let j = 0; j < MAP_BINS; j++) {
      if (bitAt(old, 0, j)) setBit(s, o, shift + (j >> 1));
    }
    if (left) s[o + START] = start - width;
    s[o + WIDTH] = 2 * width;
    start = s[o + START]!;
    width = s[o + WIDTH]!;
  }
  setBit(s, o, binOf(x, start, width));
}
