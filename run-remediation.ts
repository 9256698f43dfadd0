// run-remediation: reads pod_analysis.json and, for each new analysis at or above the confidence
// threshold, shows the exact operation, runs it as a server-side dry run, asks the person (y/n/a/q),
// applies it, and verifies after a delay that the anomaly cleared. Every step goes to the audit log.
// Standalone, and the interactive step run-monitoring drives (it inherits the terminal).
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { watch } from 'chokidar';
import { cli, helpShown, runIfMain, UsageError } from './lib/cli.ts';
import { loadKubeConfig, kubeClients } from './lib/kube.ts';
import { createLogger, type Level } from './lib/log.ts';
import { guardedStdio } from './lib/stdio.ts';
import { readAnalyses } from './remediation/analysis-file.ts';
import { AuditLog } from './remediation/audit.ts';
import { loadPolicy, PolicyError, DEFAULT_POLICY_FILE } from './remediation/config.ts';
import { RemediationSession, type Mode, type PromptFn } from './remediation/engine.ts';
import { inquirerPrompt } from './remediation/prompt.ts';

const DESCRIPTION = [
  'Proposes remediations for the anomalies in pod_analysis.json and applies the ones a person approves.',
  'For each new analysis at or above --confidence-threshold it shows the pod, the anomaly, the root cause and the exact operation (resource, field, old -> new), runs it as a server-side dry run, then asks:',
  '  y = apply, n = skip, a = approve this action kind for the rest of the session, q = quit.',
  'Enter alone does not approve. After --verify-delay seconds it checks pod_insights.json: the anomaly cleared (RESOLVED) or the action is marked FAILED. Every step is appended to the audit log.',
  `Allowed actions: restart_pod, rollout_restart, scale, set_resources, cordon_node, uncordon_node, drain_node, within the bounds, protected namespaces, cool-downs and auto-approve policy of the remediation policy (--policy, else a "remediation" object in the --config file, else ${DEFAULT_POLICY_FILE}; see config/remediation.example.json).`,
  'When stdin is not a terminal and --auto-approve is off, nothing is executed: proposals are listed and recorded as pending.',
  'Exit status: 0 done, 1 the analysis file (or an analysis in it) was unusable, 2 usage error, 130 interrupted (Ctrl-C).',
].join('\n\n');

function currentUser(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const parser = cli('run-remediation', argv, DESCRIPTION)
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)' })
    .option('data-dir', { type: 'string', default: 'data', describe: 'Directory of the pipeline files' })
    .option('analysis-file', { type: 'string', describe: 'Analyses to act on (default <data-dir>/pod_analysis.json)' })
    .option('insights-file', { type: 'string', describe: 'Insights used to verify (default <data-dir>/pod_insights.json)' })
    .option('audit-file', { type: 'string', describe: 'Append-only audit log (default <data-dir>/remediation_history.jsonl)' })
    .option('policy', { type: 'string', describe: `Remediation policy file (bounds, protected namespaces, auto-approve; default ${DEFAULT_POLICY_FILE})` })
    .option('confidence-threshold', { type: 'number', default: 0.7, describe: 'Only analyses with anomaly_probability at or above this' })
    .option('verify-delay', { type: 'number', default: 60, describe: 'Seconds after an action before verifying that the anomaly cleared' })
    .option('protected-namespace', { type: 'string', array: true, default: [] as string[], describe: 'Namespace never touched (repeatable; adds to the policy\'s list, kube-system by default)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Show and record proposals (with the server-side dry run) but execute nothing' })
    .option('auto-approve', { type: 'boolean', default: false, describe: 'Execute without asking the action kinds the policy\'s autoApprove allows (rate-limited; refuses to start without that policy)' })
    .option('once', { type: 'boolean', default: false, describe: 'Process the current analyses, wait for verifications, and exit (default: keep watching the analysis file)' })
    .option('max-proposals-per-cycle', { type: 'number', default: 20, describe: 'Proposals (each with a server-side dry run) per pass over the analyses; the rest wait for the next pass' });
  const args = await parser.parseAsync();
  if (helpShown(argv)) return 0;

  const dataDir = args['data-dir'];
  const analysisFile = args['analysis-file'] ?? join(dataDir, 'pod_analysis.json');
  const insightsFile = args['insights-file'] ?? join(dataDir, 'pod_insights.json');
  const auditFile = args['audit-file'] ?? join(dataDir, 'remediation_history.jsonl');
  const threshold = args['confidence-threshold'];
  if (!(threshold >= 0 && threshold <= 1)) throw new UsageError('--confidence-threshold must be between 0 and 1');
  const verifyDelay = args['verify-delay'];
  if (!(verifyDelay >= 0)) throw new UsageError('--verify-delay must be a number of seconds >= 0');
  if (!(args['max-proposals-per-cycle'] >= 1)) throw new UsageError('--max-proposals-per-cycle must be 1 or more');
  if (args['dry-run'] && args['auto-approve']) throw new UsageError('--dry-run and --auto-approve exclude each other');
  const mode: Mode = args['dry-run'] ? 'dry-run' : args['auto-approve'] ? 'auto-approve' : 'manual';

  let loaded;
  try {
    loaded = loadPolicy({ policyFile: args.policy, configFile: args.config as string | undefined });
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(err.message);
    throw err;
  }
  const { policy, source } = loaded;
  if (mode === 'auto-approve' && !policy.autoApprove) {
    throw new UsageError(`refusing to start: --auto-approve needs an "autoApprove" policy (actions, maxActionsPerHour, cooldownMinutes) in the remediation policy (${source})`);
  }
  const protectedNamespaces = [...new Set([...policy.protectedNamespaces, ...args['protected-namespace'].map(String)])];

  const log = createLogger('run-remediation', { dir: args['log-dir'] as string, level: args['log-level'] as Level, console: 'none' });
  let clients;
  try {
    clients = kubeClients(loadKubeConfig(args.kubeconfig));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const audit = new AuditLog(auditFile);
  if (audit.rejectedLines) log.warn('audit log has lines that do not parse; they are ignored for cool-downs', { file: auditFile, rejected: audit.rejectedLines });

  const interactive = mode !== 'dry-run' && process.stdin.isTTY === true;
  const abort = new AbortController();
  // A signal during the prompt closes it (answered as quit), so SIGTERM never waits for a person.
  const prompt: PromptFn | null = interactive ? inquirerPrompt({ signal: abort.signal }) : null;
  const stdout = guardedStdio().out;
  const print = (text: string) => stdout.write(text + '\n');
  const session = new RemediationSession({
    clients,
    policy,
    protectedNamespaces,
    audit,
    insightsFile,
    confidenceThreshold: threshold,
    verifyDelayMs: verifyDelay * 1000,
    mode,
    prompt,
    user: currentUser(),
    print,
    log,
    signal: abort.signal,
    maxProposalsPerCycle: args['max-proposals-per-cycle'],
  });

  print(
    `run-remediation: mode ${mode}${mode === 'auto-approve' ? ` (policy "${policy.autoApprove!.name}": ${policy.autoApprove!.actions.join(', ')}, ` +
      `${policy.autoApprove!.maxActionsPerHour}/hour, cool-down ${policy.autoApprove!.cooldownMinutes} min)` : ''}` +
      `${!interactive && mode !== 'dry-run' ? ', no terminal: proposals are recorded as pending' : ''}\n` +
      `  analyses ${analysisFile}, insights ${insightsFile}, audit ${auditFile}\n` +
      `  policy ${source}; protected namespaces: ${protectedNamespaces.join(', ') || 'none'}; threshold ${threshold}`,
  );
  log.info('started', { mode, analysisFile, insightsFile, auditFile, policy: source, protectedNamespaces, threshold });

  const pass = async (): Promise<boolean> => {
    let file;
    try {
      file = readAnalyses(analysisFile);
    } catch (err) {
      log.error('analysis file rejected', { error: (err as Error).message });
      print(`Cannot use ${analysisFile}: ${(err as Error).message}`);
      return false;
    }
    if (!file) {
      print(`No analyses yet (${analysisFile} does not exist).`);
      return true;
    }
    for (const why of file.rejected) {
      log.warn('analysis skipped: it does not match the contract', { reason: why });
      print(`Skipped ${why}`);
    }
    await session.processAnalyses(file);
    return file.rejected.length === 0;
  };

  const finish = async (): Promise<void> => {
    if (session.interrupted) abort.abort(); // Ctrl-C: record pending verifications as UNVERIFIED, do not wait
    if (session.verifications.length && !abort.signal.aborted) {
      print(`Waiting up to ${verifyDelay} s to verify ${session.verifications.length} executed action(s)... (Ctrl-C stops)`);
    }
    await session.settle();
    const c = session.counts;
    print(
      `Done: ${c.proposed} proposed, ${c.refused} refused, ${c.approved} approved, ${c.skipped} skipped, ${c.pending} pending, ` +
        `${c.executed} executed (${c.executionFailed} failed), ${c.resolved} resolved, ${c.failedVerification} not resolved.`,
    );
  };

  // A signal stops everything (pending verifications are recorded as UNVERIFIED); 'q' stops only the watching.
  const stopWatching = new AbortController();
  let sigint = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT') sigint = true;
    abort.abort();
    stopWatching.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  // The terminal or pipe is gone: nobody can answer or read, so stop as on SIGTERM.
  stdout.onClosed(() => onSignal('SIGTERM'));
  // 130 (as a shell reports Ctrl-C) tells run-monitoring the person wants everything to stop.
  const exitCode = (ok: boolean) => (sigint || session.interrupted ? 130 : ok ? 0 : 1);
  try {
    if (args.once) {
      const ok = await pass();
      await finish();
      return exitCode(ok);
    }

    // Watch mode: the analysis file is replaced atomically (rename), so watch its directory.
    let running = false;
    let again = false;
    let deferredPass: NodeJS.Timeout | undefined;
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await pass();
        } while (again && !session.quit && !abort.signal.aborted);
      } finally {
        running = false;
      }
      // Deferred by the per-pass cap: a pass in a while takes them, even if the file does not change.
      if (session.deferredLastCycle > 0 && !session.quit && !stopWatching.signal.aborted) {
        clearTimeout(deferredPass);
        deferredPass = setTimeout(() => void run(), 10_000);
      }
      if (session.quit) stopWatching.abort();
    };
    const target = resolve(analysisFile);
    const watcher = watch(dirname(target), { depth: 0, ignoreInitial: true, awaitWriteFinish: false });
    watcher.on('all', (_event, path) => {
      if (resolve(path) === target && !stopWatching.signal.aborted) void run();
    });
    print(`Watching ${analysisFile} for new analyses (Ctrl-C to stop).`);
    await run();
    await new Promise<void>((resolveDone) => {
      if (stopWatching.signal.aborted) resolveDone();
      else stopWatching.signal.addEventListener('abort', () => resolveDone(), { once: true });
    });
    clearTimeout(deferredPass);
    await watcher.close();
    while (running) await new Promise((r) => setTimeout(r, 50));
    await finish();
    return exitCode(true);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    log.info('stopped', { ...session.counts });
  }
}

runIfMain(import.meta.url, main);
