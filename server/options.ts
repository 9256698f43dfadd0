// podsentinel-server's options: declared here, apart from the command, so run-monitoring builds the
// server's command line from them without loading Fastify.
import { COMMON_OPTIONS, dataDirOption, toArgv, type ArgvValues } from '../lib/options.ts';

export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_HTTP_HOST = '127.0.0.1';

export const SERVER_OPTIONS = {
  'data-dir': dataDirOption,
  host: { type: 'string', default: DEFAULT_HTTP_HOST, describe: 'Address to listen on (loopback by default; 0.0.0.0 exposes the API)' },
  port: { type: 'number', default: DEFAULT_HTTP_PORT, describe: 'Port to listen on (0: any free port, printed at start)' },
  'token-file': { type: 'string', describe: 'File of named write tokens, one `name:token` per line (besides PODSENTINEL_API_TOKEN)' },
  'stale-after': { type: 'number', default: 30, describe: 'Seconds after which a heartbeat is no longer fresh (GET /api/ready)' },
  'dev-build-dir': { type: 'string', describe: 'Serve the dashboard from this build directory (dashboard development)' },
} as const;

const ALL = { ...SERVER_OPTIONS, ...COMMON_OPTIONS };
export type ServerArgv = ArgvValues<typeof ALL>;

/** podsentinel-server's command line from typed values (run-monitoring's child spec). */
export function serverArgv(values: ServerArgv): string[] {
  return toArgv(ALL, values);
}
