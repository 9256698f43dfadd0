// The approval prompt: inquirer's expand prompt, one key each as in `git add -p`. Its default is the
// help key, so Enter alone lists the choices and never approves. The prompt also closes when the proposal
// is decided elsewhere (the request's signal: a decision from the browser or MCP arrived).
import { expand } from '@inquirer/prompts';
import type { ApprovalRequest, Decision, PromptFn } from './engine.ts';

export const DECISION_CHOICES = [
  { key: 'y', name: 'yes, apply this action', value: 'approve' },
  { key: 'n', name: 'no, skip it', value: 'skip' },
  { key: 'a', name: 'approve this action kind for the rest of the session', value: 'approve_kind' },
  { key: 'x', name: 'not an anomaly: change nothing, and teach the detector this is normal for the pod', value: 'not_anomaly' },
  { key: 'q', name: 'quit: stop here, change nothing more', value: 'quit' },
] as const;

export function inquirerPrompt(context?: {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
}): PromptFn {
  return async (req: ApprovalRequest): Promise<Decision> => {
    try {
      const signals = [context?.signal, req.signal].filter((s): s is AbortSignal => s !== undefined);
      return await expand(
        {
          message: `Apply ${req.action.action} to ${req.plan.resource}?`,
          choices: DECISION_CHOICES,
          default: 'h',
        },
        { ...context, ...(signals.length ? { signal: AbortSignal.any(signals) } : {}) },
      );
    } catch (err) {
      // Never an approval: Ctrl-C (ExitPromptError) interrupts; our own abort (a signal) quits.
      if ((err as Error)?.name === 'ExitPromptError') return 'interrupt';
      if ((err as Error)?.name === 'AbortPromptError') return 'quit';
      throw err;
    }
  };
}
