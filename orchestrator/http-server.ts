// run-monitoring's side of podsentinel-server: the write token it hands the server (PODSENTINEL_API_TOKEN
// when set, else a new random one) and the first free port from the wanted one up.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { TOKEN_ENV } from '../server/auth.ts';

export function dashboardToken(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[TOKEN_ENV];
  return given && given.length >= 16 ? given : randomBytes(24).toString('base64url');
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The first port from `start` (at most `tries` of them) that can be listened on, or null. */
export async function freePort(host: string, start: number, tries = 20): Promise<number | null> {
  for (let p = start; p < start + tries && p <= 65535; p++) if (await canListen(host, p)) return p;
  return null;
}
