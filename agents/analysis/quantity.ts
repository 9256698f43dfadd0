// Kubernetes resource quantities, just enough to raise a limit by a factor and write it back.
const MEMORY_UNITS: Record<string, number> = {
  '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
};

/** Bytes of a memory quantity ("512Mi", "1G", "1073741824"), or NaN. */
export function memoryBytes(q: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(q?.trim() ?? '');
  if (!m) return NaN;
  return Number(m[1]) * MEMORY_UNITS[m[2] ?? '']!;
}

/** Millicores of a CPU quantity ("500m", "2", "0.5"), or NaN. */
export function cpuMillis(q: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(q?.trim() ?? '');
  if (!m) return NaN;
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}

/** A memory quantity in whole Mi, rounded up to a multiple of 64Mi. */
export function formatMemoryMi(bytes: number): string {
  const mi = Math.ceil(bytes / 1024 ** 2 / 64) * 64;
  return `${Math.max(64, mi)}Mi`;
}

/** A CPU quantity in millicores, rounded up to a multiple of 50m. */
export function formatCpuMillis(millis: number): string {
  return `${Math.max(50, Math.ceil(millis / 50) * 50)}m`;
}
