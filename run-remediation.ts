// run-remediation: reads pod_analysis.json and, for each new analysis at or above the confidence
// threshold, shows the exact operation, runs it as a server-side dry run, asks the person (y/n/a/q),
// applies it, and verifies after a delay that the anomaly cleared. Every step goes to the audit log.
// Standalone, and the interactive step run-monitoring drives (it inherits the terminal).
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { cli, helpShown, runIfMain, UsageError } from './lib/cli.ts';
import { untilStopped, watchFile } from './lib/file-watch.ts';
import { loadKubeConfig, kubeClients } from './lib/kube.ts';
import { createLogger, type Level } from './lib/log.ts';
import { guardedStdio } from './lib/stdio.ts';
import { checkNonNegative, checkPositive, checkUnitInterval } from './lib/options.ts';
import { pipelineFile } from './lib/pipeline-files.ts';
import { REMEDIATION_OPTIONS } from './remediation/options.ts';
import { readAnalyses } from './remediation/analysis-file.ts';
import { AuditLog } from './remediation/audit.ts';
import { loadPolicy, PolicyError, DEFAULT_POLICY_FILE, type RemediationPolicy } from './remediation/config.ts';
import { RemediationSession, type Mode, type PromptFn } from './remediation/engine.ts';
import { inquirerPrompt } from './remediation/prompt.ts';
import { DecisionInbox } from './remediation/decision-inbox.ts';
import { leaseOwnership } from './remediation/shard-owner.ts';

const DESCRIPTION = [
  'Proposes remediations for the anomalies in pod_analysis.json and applies the ones a person approves.',
  'For each new analysis at or above --confidence-threshold it shows the pod, the anomaly, the root cause and the exact operation (resource, field, old -> new), runs it as a server-side dry run, then asks:',
  '  y = apply, n = skip, a = approve this action kind for the rest of the session, x = not an anomaly (skip, and record feedback so the detector re-baselines the pod), q = quit.',
  'Decisions taken in the dashboard (podsentinel-server) or over MCP arrive as files in <data-dir>/decisions/: in every mode run-remediation carries each one out once (policy, dry run, apply, verify, all audited with who decided and where); one arriving for the proposal on the prompt closes the prompt.',
  'Enter alone does not approve. After --verify-delay seconds it checks pod_insights.json: the anomaly cleared (RESOLVED) or the action is marked FAILED. Every step is appended to the audit log.',
  `Allowed actions: restart_pod, rollout_restart, scale, set_resources, cordon_node, uncordon_node, drain_node, within the bounds, protected namespaces, cool-downs and auto-approve policy of the remediation policy (--policy, else a "remediation" object in the --config file, else ${DEFAULT_POLICY_FILE}; see config/remediation.example.json).`,
  'When stdin is not a terminal and --auto-approve is off, nothing is executed without a decision: proposals are listed and recorded as pending, to be decided in the dashboard.',
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

type Args = Awaited<ReturnType<ReturnType<typeof parse>['parseAsync']>>;

function parse(argv: string[]) {
  return cli('run-remediation', argv, DESCRIPTION).options(REMEDIATION_OPTIONS);
}

/** What a run needs, checked: the files, the threshold and delay, the mode, and the policy. */
interface Settings {
  analysisFile: string;
  insightsFile: string;
  auditFile: string;
  decisionsDir: string;
  feedbackFile: string;
  threshold: number;
  verifyDelay: number;
  maxProposalsPerCycle: number;
  mode: Mode;
  policy: RemediationPolicy;
  policySource: string;
  protectedNamespaces: string[];
  once: boolean;
  kubeconfig: string | undefined;
  logDir: string;
  logLevel: Level;
  shard: { group: string; identity: string | undefined; namespace: string | undefined; leaseDuration: number } | undefined;
}

function settingsFrom(args: Args): Settings {
  const dataDir = args['data-dir'];
  const threshold = checkUnitInterval('confidence-threshold', args['confidence-threshold']);
  const verifyDelay = checkNonNegative('verify-delay', args['verify-delay']);
  const maxProposalsPerCycle = Math.floor(checkPositive('max-proposals-per-cycle', args['max-proposals-per-cycle']));
  if (maxProposalsPerCycle < 1) throw new UsageError('--max-proposals-per-cycle must be 1 or more');
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
    throw new UsageError(
      `refusing to start: --auto-approve needs an "autoApprove" policy (actions, maxActionsPerHour, cooldownMinutes) in the remediation policy (${source})`,
    );
  }
  return {
    analysisFile: args['analysis-file'] ?? pipelineFile(dataDir, 'analysis'),
    insightsFile: args['insights-file'] ?? pipelineFile(dataDir, 'insights'),
    auditFile: args['audit-file'] ?? pipelineFile(dataDir, 'audit'),
    decisionsDir: pipelineFile(dataDir, 'decisions'),
    feedbackFile: pipelineFile(dataDir, 'feedback'),
    threshold,
    verifyDelay,
    maxProposalsPerCycle,
    mode,
    policy,
    policySource: source,
    protectedNamespaces: [...new Set([...policy.protectedNamespaces, ...args['protected-namespace'].map(String)])],
    once: args.once,
    kubeconfig: args.kubeconfig,
    logDir: args['log-dir'] as string,
    logLevel: args['log-level'] as Level,
    shard:
      args['shard-group'] !== undefined
        ? {
            group: args['shard-group'],
            identity: args['shard-identity'],
            namespace: args['shard-namespace'],
            leaseDuration: checkPositive('lease-duration', args['lease-duration']),
          }
        : undefined,
  };
}

export async function main(argv: string[]): Promise<number> {
  const args = await parse(argv).parseAsync();
  if (helpShown(argv)) return 0;
  return run(settingsFrom(args));
}

/** Remediation with checked settings: one pass (--once) or a watch of the analysis file until quit or a signal. */
export async function run(settings: Settings): Promise<number> {
  const { analysisFile, insightsFile, auditFile, threshold, verifyDelay, mode, policy, protectedNamespaces } = settings;
  const source = settings.policySource;
  const log = createLogger('run-remediation', { dir: settings.logDir, level: settings.logLevel, console: 'none' });
  let kc;
  try {
    kc = loadKubeConfig(settings.kubeconfig);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const clients = kubeClients(kc);
  const ownership = settings.shard
    ? leaseOwnership({
        kc,
        group: settings.shard.group,
        identity: settings.shard.identity,
        namespace: settings.shard.namespace,
        leaseDurationSeconds: settings.shard.leaseDuration,
        log: log.child('shard'),
      })
    : undefined;
  const audit = new AuditLog(auditFile);
  if (audit.rejectedLines)
    log.warn('audit log has lines that do not parse; they are ignored for cool-downs', { file: auditFile, rejected: audit.rejectedLines });

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
    maxProposalsPerCycle: settings.maxProposalsPerCycle,
    decisions: new DecisionInbox(settings.decisionsDir, audit),
    feedbackFile: settings.feedbackFile,
    ...(ownership ? { ownership } : {}),
  });

  print(
    `run-remediation: mode ${mode}${
      mode === 'auto-approve'
        ? ` (policy "${policy.autoApprove!.name}": ${policy.autoApprove!.actions.join(', ')}, ` +
          `${policy.autoApprove!.maxActionsPerHour}/hour, cool-down ${policy.autoApprove!.cooldownMinutes} min)`
        : ''
    }` +
      `${!interactive && mode !== 'dry-run' ? ', no terminal: proposals are recorded as pending' : ''}\n` +
      `  analyses ${analysisFile}, insights ${insightsFile}, audit ${auditFile}\n` +
      `  policy ${source}; protected namespaces: ${protectedNamespaces.join(', ') || 'none'}; threshold ${threshold}` +
      (ownership ? `\n  shard group ${ownership.group}: acting only on the pods replica ${ownership.identity} owns` : ''),
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
    // Decisions first: someone already answered those proposals, in the browser or over MCP.
    await session.processDecisions(file);
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
    if (settings.once) {
      const ok = await pass();
      await finish();
      return exitCode(ok);
    }

    // Watch mode: a new analysis file starts a pass; 'q' at the prompt ends the watching.
    let deferredPass: NodeJS.Timeout | undefined;
    const watch = watchFile(analysisFile, {
      run: async () => {
        if (session.quit || abort.signal.aborted) return;
        await pass();
        if (session.quit) stopWatching.abort();
        // Deferred by the per-pass cap: a pass in a while takes them, even if the file does not change.
        clearTimeout(deferredPass);
        if (session.deferredLastCycle > 0 && !stopWatching.signal.aborted) deferredPass = setTimeout(() => watch.trigger(), 10_000);
      },
      onError: (err) => log.error('pass failed', { error: err as Error }),
      onWatchError: (err) => log.warn('watch error', { reason: String(err) }),
    });
    // A new decision file changes the directory's identity: a pass carries it out.
    mkdirSync(settings.decisionsDir, { recursive: true });
    const decisionsWatch = watchFile(settings.decisionsDir, { run: async () => watch.trigger(), runAtStart: false, pollSeconds: 0.5 });
    print(`Watching ${analysisFile} for new analyses and ${settings.decisionsDir} for decisions (Ctrl-C to stop).`);
    await untilStopped([], stopWatching.signal);
    clearTimeout(deferredPass);
    await decisionsWatch.close();
    await watch.close();
    clearTimeout(deferredPass); // one set by the run that close() waited for
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
