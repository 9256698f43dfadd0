// glibc's malloc settings for a child process. glibc reads GLIBC_TUNABLES (a colon-separated list of
// name=value) once, when a process starts, so a setting a command needs goes into its child's environment,
// next to the Node options it is started with (lib/relaunch.ts, orchestrator/child-specs.ts). Outside glibc
// (musl) the variable is ignored and nothing changes.

export type GlibcTunables = Readonly<Record<string, string>>;

export const GLIBC_TUNABLES_ENV = 'GLIBC_TUNABLES';

function parse(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of (value ?? '').split(':')) {
    const eq = item.indexOf('=');
    if (eq > 0) out.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return out;
}

/** The tunables of `want` not set in `env` (a tunable set there, with any value, is the person's choice). */
export function missingTunables(want: GlibcTunables, env: NodeJS.ProcessEnv = process.env): GlibcTunables {
  const have = parse(env[GLIBC_TUNABLES_ENV]);
  return Object.fromEntries(Object.entries(want).filter(([name]) => !have.has(name)));
}

/**
 * The environment entries that give a child `want` on top of `env`'s own GLIBC_TUNABLES (whose settings
 * win); {} when there is nothing to add.
 */
export function tunablesEnv(want: GlibcTunables, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const add = Object.entries(missingTunables(want, env)).map(([name, value]) => `${name}=${value}`);
  if (add.length === 0) return {};
  const own = env[GLIBC_TUNABLES_ENV];
  return { [GLIBC_TUNABLES_ENV]: [...(own ? [own] : []), ...add].join(':') };
}
