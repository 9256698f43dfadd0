// Reads pod_analysis.json leniently: one malformed analysis or action must not hide the others.
// Analyses that do not match the contract are skipped (and named); actions are kept as they are,
// because the engine validates every action against the allow-list and records a refusal for a bad one.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ContractError, readJsonText } from '../lib/atomic-file.ts';
import { PodAnalysis } from '../lib/schemas.ts';
import type { PodAnalysis as PodAnalysisT } from '../lib/schemas.ts';

const LooseAction = z.object({
  action: z.string(),
  params: z.unknown(),
  rationale: z.string().catch(''),
  risk: z.enum(['low', 'medium', 'high']).catch('high'),
});
const LooseAnalysis = PodAnalysis.extend({ recommended_actions: z.array(LooseAction) });
const LooseFile = z.object({ generated_at: z.string().optional(), analyses: z.array(z.unknown()) });

export interface AnalysesRead {
  analyses: PodAnalysisT[];
  /** One line per analysis that was skipped, with the reason. */
  rejected: string[];
}

/** null when the file does not exist; a ContractError (with the file name) when it is not an analysis file at all. */
export function readAnalyses(path: string): AnalysesRead | null {
  const data = readJsonText(path);
  // readJsonText says null for a missing file and for a file holding `null`: only the first is "no analyses yet".
  if (data === null && !existsSync(path)) return null;
  const file = LooseFile.safeParse(data);
  if (!file.success)
    throw new ContractError(
      `${path} is not an analysis file: ${file.error.issues[0]?.path.join('.') || '(root)'}: ${file.error.issues[0]?.message}`,
    );
  const analyses: PodAnalysisT[] = [];
  const rejected: string[] = [];
  file.data.analyses.forEach((raw, i) => {
    const r = LooseAnalysis.safeParse(raw);
    if (r.success) {
      // Actions are re-validated one by one by the engine (validateAction) before anything is sent.
      analyses.push(r.data as unknown as PodAnalysisT);
    } else {
      const id = (raw as { id?: unknown })?.id;
      const issue = r.error.issues[0];
      rejected.push(`analysis ${typeof id === 'string' ? id : `#${i}`}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
  });
  return { analyses, rejected };
}
