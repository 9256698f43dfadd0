// One MCP server with podsentinel's tools: read-only ones always, apply_remediation only with --allow-write.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpContext } from './context.ts';
import { registerApplyTool } from './tools/apply.ts';
import { registerExplainTool } from './tools/explain.ts';
import { registerProposeTool } from './tools/propose.ts';
import { registerReadTools } from './tools/read-tools.ts';

export const SERVER_NAME = 'podsentinel';
export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS = [
  'podsentinel watches Kubernetes pods, scores them with an LSTM detector and explains anomalies.',
  'Start with list_anomalies; get_pod and get_analysis give details; explain_pod analyses a pod now;',
  'propose_remediation shows the exact change and its server-side dry run without executing it.',
].join(' ');

export function createMcpServer(ctx: McpContext): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      instructions: ctx.allowWrite
        ? `${INSTRUCTIONS} apply_remediation approves one action; run-remediation executes and audits it.`
        : `${INSTRUCTIONS} This server is read-only.`,
    },
  );
  registerReadTools(server, ctx);
  registerExplainTool(server, ctx);
  registerProposeTool(server, ctx);
  if (ctx.allowWrite) registerApplyTool(server, ctx);
  return server;
}
