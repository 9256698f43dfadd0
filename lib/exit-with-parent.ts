// Preloaded (`node --import`) into every child that run-monitoring starts, which gives each one an
// IPC channel. The channel closes when the parent ends, however it ends: a clean exit, a crash or
// SIGKILL. The child then stops as on SIGTERM (its own handler flushes and exits), and is killed
// outright if that has not ended it within the grace period. Without this, the collector went on
// appending to the CSV of a pipeline nobody ran any more.

/** How long a child whose parent is gone may take to stop on its own. */
export const PARENT_GONE_GRACE_MS = 3_000;

/** Installs the watch when this process has an IPC channel to its parent; returns whether it did. */
export function exitWithParent(graceMs = PARENT_GONE_GRACE_MS): boolean {
  if (!process.channel) return false;
  const parentGone = () => {
    setTimeout(() => process.exit(1), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  // The parent may have died while this process was starting, before the listener existed.
  if (!process.connected) {
    parentGone();
    return true;
  }
  process.once('disconnect', parentGone);
  // A 'disconnect' listener holds the channel, which would keep a finished command alive: let go.
  process.channel.unref();
  return true;
}

exitWithParent();
