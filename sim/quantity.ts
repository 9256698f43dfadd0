// Kubernetes resource quantities: parse "500m", "1.5", "512Mi", "1G", "2e3"; format the forms the
// API server and metrics-server use (CPU "250m" / "123456n", memory "512Mi" / "1234Ki").

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The numeric value of a quantity (cores for CPU, bytes for memory); throws on a malformed one. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q) || q < 0) throw new Error(`invalid quantity ${q}`);
    return q;
  }
  const m = /^([+]?[0-9]*\.?[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}"`);
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  if (mult === undefined) throw new Error(`invalid quantity "${q}"`);
  return base * mult;
}

export function formatNanocores(cores: number): string {
  return `${Math.max(0, Math.round(cores * 1e9))}n`;
}

export function formatKi(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}

/** CPU as a spec value: whole cores as "2", otherwise millicores "250m". */
export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Memory as a spec value: the largest binary unit that divides it, else bytes. */
export function formatMemory(bytes: number): string {
  const b = Math.round(bytes);
  for (const unit of ['Gi', 'Mi', 'Ki'] as const) {
    const mult = BINARY[unit]!;
    if (b >= mult && b % mult === 0) return `${b / mult}${unit}`;
  }
  return String(b);
}

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
