// A mistake in how a command was invoked (a flag, an environment variable or a config value): the
// command prints it with a hint to --help and exits with status 2.
export class UsageError extends Error {}
