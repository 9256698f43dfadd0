// Captures what the code under test prints, while node --test's own reports (binary writes to stdout)
// still get through: swallowing those makes tests go unreported.
type Write = typeof process.stdout.write;

export async function captureStdio<T>(f: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write;
  const w2 = process.stderr.write;
  const keep = (orig: Write, stream: NodeJS.WriteStream, add: (s: string) => void) =>
    ((s: string | Uint8Array, ...rest: never[]) => (typeof s === 'string' ? (add(s), true) : orig.call(stream, s, ...rest))) as Write;
  process.stdout.write = keep(w1, process.stdout, (s) => (out += s));
  process.stderr.write = keep(w2, process.stderr, (s) => (err += s));
  try {
    return { value: await f(), out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}
