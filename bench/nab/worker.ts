// Child process of bench:nab: scores NAB files with a named detector on request, so that a run uses
// both cores. Messages in: { id, detector, file, options }; out: { id, scores } or { id, error }.
import { loadCorpus, type NabCorpus } from './scorer.ts';
import { scoreSeriesWith, type RunOptions } from './detectors.ts';

export interface WorkerRequest {
  id: number;
  detector: string;
  file: number;
  options: RunOptions;
}

export type WorkerReply = { id: number; scores: Float64Array; ms: number } | { id: number; error: string };

let corpus: NabCorpus | undefined;

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  try {
    corpus ??= loadCorpus(req.options.nabRoot);
    const file = corpus.files[req.file];
    if (!file) throw new Error(`no file #${req.file}`);
    const t0 = performance.now();
    const scores = await scoreSeriesWith(req.detector, file, req.options);
    return { id: req.id, scores, ms: performance.now() - t0 };
  } catch (err) {
    return { id: req.id, error: (err as Error)?.stack ?? String(err) };
  }
}

if (process.send) {
  // One request at a time: the parent sends the next only after a reply.
  process.on('message', (req: WorkerRequest) => {
    void handle(req).then((reply) => process.send!(reply));
  });
  process.on('disconnect', () => process.exit(0));
}
