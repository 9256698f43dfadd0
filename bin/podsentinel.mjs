#!/usr/bin/env node
// One launcher for every npm bin entry: the command name (the link's basename) picks the TypeScript
// module, which tsx loads at run time, so no build step stands between a clone and its commands.
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const commands = {
  'podsentinel-sim': 'sim/cli.ts',
  'dataset-generator': 'collectors/dataset-generator.ts',
  'dataset-generator-agent': 'agents/dataset-generator-agent.ts',
  'anomaly-detection-agent': 'agents/anomaly-detection-agent.ts',
  'train-model': 'models/train-model.ts',
  'run-monitoring': 'run-monitoring.ts',
  'run-remediation': 'run-remediation.ts',
  'podsentinel-server': 'server/cli.ts',
  'podsentinel-mcp': 'mcp/cli.ts',
  'notification-agent': 'agents/notification-agent.ts',
};

let name = basename(process.argv[1] ?? '').replace(/\.m?js$/, '');
let args = process.argv.slice(2);
if (!(name in commands)) {
  // Called as `podsentinel <command> ...` (or through this file directly).
  name = args[0] ?? '';
  args = args.slice(1);
}
const file = commands[name];
if (!file) {
  process.stderr.write(`usage: podsentinel <command> [options]\ncommands: ${Object.keys(commands).join(', ')}\n`);
  process.exit(2);
}
register();
const load = (path) => import(pathToFileURL(join(root, path)).href);
// Commands with Node or glibc settings of their own run in a child Node that has them (lib/relaunch.ts).
const settings =
  name === 'dataset-generator-agent'
    ? await load('agents/dataset-generator/node-args.ts').then((m) => ({ nodeArgs: m.AGENT_NODE_ARGS, tunables: m.AGENT_GLIBC_TUNABLES }))
    : name === 'dataset-generator'
      ? await load('collectors/node-args.ts').then((m) => ({ nodeArgs: m.COLLECTOR_NODE_ARGS, tunables: {} }))
      : { nodeArgs: [], tunables: {} };
const { missingNodeArgs, relaunch, RELAUNCHED_ENV } = await load('lib/relaunch.ts');
const { tunablesEnv } = await load('lib/glibc-tunables.ts');
const missing = missingNodeArgs(settings.nodeArgs);
const env = tunablesEnv(settings.tunables);
if ((missing.length > 0 || Object.keys(env).length > 0) && !process.env[RELAUNCHED_ENV]) {
  process.exitCode = await relaunch(missing, fileURLToPath(import.meta.url), [name, ...args], env);
} else {
  if (process.env[RELAUNCHED_ENV]) await load('lib/exit-with-parent.ts'); // relaunched: end with the launcher
  const { runMain } = await load('lib/cli.ts');
  const mod = await load(file);
  await runMain(mod.main, args);
}
