// Small display helpers shared by the views.
export const pct = (p: number | null | undefined): string => (p == null ? '–' : `${(p * 100).toFixed(1)}%`);

export function bytes(n: number | null | undefined): string {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return '–';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return iso;
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const typeLabel = (t: string): string => t.replace(/_/g, ' ');

export const podHref = (namespace: string, pod: string): string => `#/pod/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}`;
export const anomalyHref = (id: string): string => `#/anomaly/${encodeURIComponent(id)}`;
