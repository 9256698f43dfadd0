// Kubernetes resource quantities: parse "500m", "1.5", "512Mi", "1G", "2e3"; format the forms the
// API server and metrics-server use (CPU "250m" / "123456n", memory "512Mi" / "1234Ki"). Parsing is the
// product's one parser (lib/quantity.ts), so the simulator refuses exactly what the product refuses.
import { parseQuantity as parseK8sQuantity } from '../lib/quantity.ts';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** The numeric value of a quantity (cores for CPU, bytes for memory); throws on a malformed one. */
export function parseQuantity(q: string | number): number {
  const r = parseK8sQuantity(q);
  if (!r.ok) throw new Error(`invalid quantity ${typeof q === 'number' ? q : `"${q}"`}: ${r.error}`);
  return r.value;
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
