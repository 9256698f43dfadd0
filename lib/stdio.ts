// stdout and stderr that never crash their process: a write error (EPIPE when the reader of a pipe
// went away, `| head`; EIO when the terminal was closed) would otherwise be an unhandled 'error'
// event. After the first error the stream is marked closed, later writes are dropped, and the
// command's handlers learn of it (run-monitoring then stops the pipeline cleanly).

export interface GuardedOutput {
  /** Writes unless the stream has failed; false when the text was dropped. */
  write(text: string): boolean;
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  /** The error code that closed it (EPIPE, EIO...), or null while it works. */
  readonly closedBy: string | null;
  /** Calls `cb` once when the stream fails (at once when it already has). */
  onClosed(cb: (code: string) => void): void;
}

class Guarded implements GuardedOutput {
  private readonly stream: NodeJS.WriteStream;
  private code: string | null = null;
  private readonly listeners: Array<(code: string) => void> = [];

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
    // Kept for the process's life: a destroyed stream may still report late writes as errors.
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (this.code !== null) return;
      this.code = err.code ?? 'error';
      for (const cb of this.listeners.splice(0)) cb(this.code);
    });
  }

  write(text: string): boolean {
    if (this.code !== null || this.stream.destroyed) return false;
    try {
      this.stream.write(text);
      return true;
    } catch {
      return false; // a synchronous throw from a stream being torn down: same as an error event
    }
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  get columns(): number | undefined {
    return this.stream.columns;
  }

  get closedBy(): string | null {
    return this.code;
  }

  onClosed(cb: (code: string) => void): void {
    if (this.code !== null) cb(this.code);
    else this.listeners.push(cb);
  }
}

let guarded: { out: Guarded; err: Guarded } | null = null;

/** The process's guarded stdout and stderr (installs the error listeners on first use). */
export function guardedStdio(): { out: GuardedOutput; err: GuardedOutput } {
  guarded ??= { out: new Guarded(process.stdout), err: new Guarded(process.stderr) };
  return guarded;
}
