// Talking to podsentinel-server: JSON reads, the decision write with the bearer token, problem+json errors.
// The token arrives once in the URL fragment (#token=...), is kept in sessionStorage (this tab only) and
// removed from the address bar so that it is not bookmarked or shared by accident.
import type { DecisionVerdict, DecisionResponse, Problem } from '../server/api-schemas.ts';

const TOKEN_KEY = 'podsentinel.token';

/** Takes `#token=` from the fragment into sessionStorage and leaves the address bar at `#/`. */
export function adoptTokenFromFragment(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

export const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function failure(res: Response): Promise<ApiError> {
  let text = `${res.status} ${res.statusText}`;
  try {
    const p = (await res.json()) as Partial<Problem>;
    text = [p.title, p.detail].filter(Boolean).join(': ') || text;
  } catch {
    // not problem+json: keep the status line
  }
  return new ApiError(res.status, text);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal: signal ?? null });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function postDecision(anomalyId: string, decision: DecisionVerdict, action?: number): Promise<DecisionResponse> {
  const t = token();
  if (!t) throw new ApiError(401, 'No API token in this tab: open the URL printed by the server (it ends in #token=…).');
  const res = await fetch(`/api/anomalies/${encodeURIComponent(anomalyId)}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
    body: JSON.stringify({ decision, action }),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as DecisionResponse;
}
