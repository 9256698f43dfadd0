// Kubernetes resource quantities ("500m", "2", "1.5Gi", "1e3"): one parser for every reader, with the
// API server's syntax, so a value the cluster accepts is read the same everywhere and one it refuses is
// refused before it is sent.
//
//   quantity  ::= [+-] number ( exponent | binary-suffix | decimal-suffix )?
//   number    ::= digits | digits "." digits? | "." digits
//   exponent  ::= ("e" | "E") [+-] digits
//   binary    ::= Ki Mi Gi Ti Pi Ei (powers of 1024)      decimal ::= n u m "" k M G T P E (powers of 1000)
//
// Where the earlier parsers disagreed, this one decides:
// - No surrounding or inner spaces, and no "K" (the API server refuses both; it spells kilo "k").
// - Exponents ("1e3") and binary suffixes on CPU ("1Ki") are quantities, as in the API server.
// - Negative values are refused: every quantity we read is a request, limit, usage or capacity, and the
//   API server refuses negative requests and limits.
// - Memory is a whole number of bytes: "100m" of memory (a tenth of a byte, almost always meant as
//   100Mi) and "0.5" are refused.
// Values are computed from the decimal digits and the exponent at once (Number("500e-3")), so decimal
// suffixes convert without binary rounding error: "100m" is exactly 100 millicores.
import { z } from 'zod';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SYNTAX = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

export type QuantityResult = { ok: true; value: number } | { ok: false; error: string };

/**
 * A quantity's value in base units (cores for CPU, bytes for memory), times 10^scale (3: millicores).
 * A number is taken as already in base units.
 */
export function parseQuantity(q: string | number | null | undefined, scale = 0): QuantityResult {
  if (q === undefined || q === null) return { ok: false, error: 'no quantity' };
  if (typeof q === 'number') {
    if (!Number.isFinite(q) || q < 0) return { ok: false, error: `${q} is not a non-negative finite number` };
    return { ok: true, value: q * 10 ** scale };
  }
  const m = SYNTAX.exec(q);
  if (!m) return { ok: false, error: `"${q}" is not a Kubernetes quantity (like 500m, 2, 512Mi or 1e3)` };
  const [, sign, digits, exponent, suffix = ''] = m;
  const exp = (exponent !== undefined ? Number(exponent) : (DECIMAL[suffix] ?? 0)) + scale;
  const value = Number(`${digits}e${exp}`) * (BINARY[suffix] ?? 1);
  if (!Number.isFinite(value)) return { ok: false, error: `"${q}" is too large` };
  if (sign === '-' && value !== 0) return { ok: false, error: `"${q}" is negative` };
  return { ok: true, value: value === 0 ? 0 : value };
}

/** Decimal suffix byte → power of ten; binary suffix letter (before "i") → power of 1024. */
const DECIMAL_BYTE: Record<number, number> = { 110: -9, 117: -6, 109: -3, 107: 3, 77: 6, 71: 9, 84: 12, 80: 15, 69: 18 };
const BINARY_BYTE: Record<number, number> = { 75: 2 ** 10, 77: 2 ** 20, 71: 2 ** 30, 84: 2 ** 40, 80: 2 ** 50, 69: 2 ** 60 };
/** 10^0 … 10^18 as literals (each exact in a double). */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

/**
 * The value of the quantity in bytes [from, to) when it has the plain form metrics-server and kubelets
 * write (1 to 15 digits and an optional suffix: "123456789n", "20480Ki", "2"), read without making a
 * string; undefined for any other form, which parseQuantity reads. The same number as parseQuantity's:
 * the digits are an exact integer below 2^53 and 10^k (k ≤ 18) is exact, so one division or product is
 * rounded once, as Number("123e-9") is.
 */
export function plainQuantityValue(buf: Uint8Array, from: number, to: number): number | undefined {
  let i = from;
  let v = 0;
  for (; i < to && i - from < 16; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  const n = i - from;
  if (n === 0 || n > 15) return undefined;
  if (i === to) return v;
  if (i + 1 === to) {
    const exp = DECIMAL_BYTE[buf[i]!];
    if (exp === undefined) return undefined;
    return exp < 0 ? v / POW10[-exp]! : v * POW10[exp]!;
  }
  const factor = i + 2 === to && buf[i + 1] === 105 /* i */ ? BINARY_BYTE[buf[i]!] : undefined;
  return factor === undefined ? undefined : v * factor;
}

/** The value in base units (cores, bytes), or null when not a quantity. */
export function quantityValue(q: string | number | null | undefined): number | null {
  const r = parseQuantity(q);
  return r.ok ? r.value : null;
}

/** Millicores ("500m" → 500, "2" → 2000), or NaN when not a quantity (so comparisons are false). */
export function cpuMillis(q: string | number | null | undefined): number {
  const r = parseQuantity(q, 3);
  return r.ok ? r.value : NaN;
}

/** Bytes, or null when not a quantity or not a whole number of bytes. */
export function memoryBytesOrNull(q: string | number | null | undefined): number | null {
  const r = parseQuantity(q);
  return r.ok && Number.isInteger(r.value) ? r.value : null;
}

/** Bytes ("512Mi", "1G", "1e3"), or NaN when not a memory quantity (so comparisons are false). */
export function memoryBytes(q: string | number | null | undefined): number {
  return memoryBytesOrNull(q) ?? NaN;
}

/** zod: a CPU quantity as the API server accepts it. */
export const CpuQuantity = z.string().refine((s) => quantityValue(s) !== null, 'must be a CPU quantity like 500m or 2');
/** zod: a memory quantity (whole bytes) as the API server accepts it. */
export const MemoryQuantity = z.string().refine((s) => memoryBytesOrNull(s) !== null, 'must be a memory quantity like 512Mi');

/** A memory limit to write: whole Mi, rounded up to a multiple of 64Mi (at least 64Mi). */
export function formatMemoryMi(bytes: number): string {
  const mi = Math.ceil(bytes / 1024 ** 2 / 64) * 64;
  return `${Math.max(64, mi)}Mi`;
}

/** A CPU limit to write: millicores, rounded up to a multiple of 50m (at least 50m). */
export function formatCpuMillis(millis: number): string {
  return `${Math.max(50, Math.ceil(millis / 50) * 50)}m`;
}
