// Who may write: bearer tokens, each with a name that the decision records as its author. Tokens come from
// PODSENTINEL_API_TOKEN (named by PODSENTINEL_API_TOKEN_NAME, default "api"), from --token-file (lines
// `name:token`), or, when neither gives one, a random token made at start and shown once in the dashboard
// URL. Tokens are compared in constant time and never logged.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../lib/usage-error.ts';

export const TOKEN_ENV = 'PODSENTINEL_API_TOKEN';
export const TOKEN_NAME_ENV = 'PODSENTINEL_API_TOKEN_NAME';

export interface NamedToken {
  name: string;
  token: string;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** Parses a token file: one `name:token` per line; blank lines and # comments are skipped. */
export function parseTokenFile(text: string, file: string): NamedToken[] {
  const out: NamedToken[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    const token = line.slice(colon + 1).trim();
    if (colon < 1 || !NAME.test(name) || token.length < 16)
      throw new UsageError(`${file} line ${i + 1}: expected name:token (name of letters, digits, ._@-; token of 16 or more characters)`);
    out.push({ name, token });
  });
  return out;
}

/** The tokens this server accepts; `generated` when one was made up (to be shown once). */
export function loadTokens(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { tokens: NamedToken[]; generated: boolean } {
  const tokens: NamedToken[] = [];
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv) {
    if (fromEnv.length < 16) throw new UsageError(`${TOKEN_ENV} must be 16 or more characters`);
    const name = env[TOKEN_NAME_ENV] || 'api';
    if (!NAME.test(name)) throw new UsageError(`${TOKEN_NAME_ENV} must be letters, digits or ._@- (at most 64)`);
    tokens.push({ name, token: fromEnv });
  }
  if (tokenFile) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(err as Error).message}`);
    }
    tokens.push(...parseTokenFile(text, tokenFile));
  }
  if (tokens.length) return { tokens, generated: false };
  return { tokens: [{ name: env[TOKEN_NAME_ENV] || 'api', token: randomBytes(24).toString('base64url') }], generated: true };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The name of the token in an `Authorization: Bearer <token>` header, or null. */
export function authenticate(header: string | undefined, tokens: readonly NamedToken[]): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const given = digest(m[1]!);
  let found: string | null = null;
  // Every token is compared (constant time each), so the time does not tell which one nearly matched.
  for (const t of tokens) if (timingSafeEqual(given, digest(t.token)) && found === null) found = t.name;
  return found;
}
