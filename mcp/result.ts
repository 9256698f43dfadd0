// Tool answers: JSON as text on success; on failure an MCP tool error (isError) with one clear line,
// never a stack. A ToolError's message is meant for the model; anything else is logged and summarised.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../lib/log.ts';
import { redact } from '../lib/log.ts';
import { ToolError } from './context.ts';

export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text: redact(text) }], isError: true };
}

/** Runs a tool body; errors become tool errors with clear text (the full error goes to the log). */
export function guarded<A extends unknown[]>(
  name: string,
  log: Logger,
  body: (...args: A) => Promise<CallToolResult> | CallToolResult,
): (...args: A) => Promise<CallToolResult> {
  return async (...args: A) => {
    try {
      return await body(...args);
    } catch (err) {
      if (err instanceof ToolError) return errorResult(err.message);
      log.error('tool failed', { tool: name, error: err as Error });
      return errorResult(`${name} failed: ${(err as Error)?.message ?? String(err)}`);
    }
  };
}
