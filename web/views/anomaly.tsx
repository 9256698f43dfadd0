// Anomaly view: what the analysis found and why, each recommended action with its risk and dry run, and the
// decision buttons. A decision is queued on the server (a file that run-remediation executes); the view
// then follows the proposal's state through the remediation events until the verification arrives.
import { useState } from 'preact/hooks';
import type { AnomalyDetailResponse, DecisionVerdict, Proposal } from '../../server/api-schemas.ts';
import { postDecision } from '../api.ts';
import { ConfirmDialog } from '../confirm.tsx';
import { ago, pct, podHref, typeLabel } from '../format.ts';
import { useResource } from '../resource.ts';

const DECIDABLE = new Set(['recommended', 'pending']);
const VERB: Record<DecisionVerdict, string> = { approve: 'Approve', decline: 'Decline', 'not-an-anomaly': 'Not an anomaly' };

interface Asked {
  decision: DecisionVerdict;
  proposal: Proposal | null;
}

function Step({ label, step }: { label: string; step: { result: string; detail: string | null; ts: string } | null }) {
  if (!step) return null;
  return (
    <div class={`step result-${step.result}`} data-step={label}>
      <b>{label}:</b> {step.result} {step.detail && <span class="muted">— {step.detail}</span>} <small class="muted">{ago(step.ts)}</small>
    </div>
  );
}

function ProposalCard({ p, onAsk, busy }: { p: Proposal; onAsk: (a: Asked) => void; busy: boolean }) {
  const open = DECIDABLE.has(p.state) && p.queued_decisions === 0;
  return (
    <div class={`proposal state-${p.state}`} data-action-index={p.action_index} data-state={p.state}>
      <div class="proposal-head">
        <b>{p.action}</b> <code>{JSON.stringify(p.params)}</code>
        <span class={`badge risk-${p.risk}`}>risk {p.risk}</span>
        <span class={`badge state ${p.state}`} data-testid="proposal-state">
          {p.state.replace('_', ' ')}
        </span>
      </div>
      <p>{p.rationale}</p>
      <Step label="Dry run" step={p.dry_run} />
      <Step label="Refused" step={p.refusal} />
      {p.decision && (
        <div class="step">
          <b>Decision:</b> {p.decision.result} by {p.decision.by}
          {p.decision.via ? ` (${p.decision.via})` : ''} <small class="muted">{ago(p.decision.ts)}</small>
        </div>
      )}
      <Step label="Execution" step={p.execution} />
      <Step label="Verification" step={p.verification} />
      {p.queued_decisions > 0 && <div class="step muted">Decision queued; waiting for run-remediation…</div>}
      {open && (
        <div class="buttons">
          <button class="primary" disabled={busy} onClick={() => onAsk({ decision: 'approve', proposal: p })}>
            Approve
          </button>
          <button disabled={busy} onClick={() => onAsk({ decision: 'decline', proposal: p })}>
            Decline
          </button>
        </div>
      )}
    </div>
  );
}

export function AnomalyView({ id }: { id: string }) {
  const { data, error, reload } = useResource<AnomalyDetailResponse>(`/api/anomalies/${encodeURIComponent(id)}`, [
    'remediation',
    'analysis',
    'anomaly',
  ]);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);

  const decide = async (a: Asked) => {
    setAsked(null);
    setBusy(true);
    try {
      const r = await postDecision(id, a.decision, a.proposal?.action_index);
      setNote({
        ok: true,
        text: `${VERB[a.decision]} queued (${r.decision_id}); the result appears below as run-remediation carries it out.`,
      });
      reload();
    } catch (e) {
      setNote({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  const a = data.analysis;
  return (
    <section class="anomaly-view">
      <h2>
        {typeLabel(a.anomaly_type)} in <a href={podHref(a.namespace, a.pod)}>{`${a.namespace}/${a.pod}`}</a>{' '}
        <span class={`badge sev-${a.severity}`}>{a.severity}</span> <span class={`badge ${data.status}`}>{data.status}</span>
      </h2>
      <p class="muted">
        probability {pct(a.anomaly_probability)} · detected {ago(a.detected_at)} · by{' '}
        {a.source.type === 'llm' ? `LLM (${a.source.model})` : 'rules'}
        {a.owner ? ` · ${a.owner.kind} ${a.owner.name}` : ''}
      </p>
      <h3>Root cause</h3>
      <p class="root-cause">{a.root_cause}</p>
      {a.explanation && <p>{a.explanation}</p>}
      {a.evidence.length > 0 && (
        <>
          <h3>Evidence</h3>
          <ul class="evidence">
            {a.evidence.map((e) => (
              <li>{e}</li>
            ))}
          </ul>
        </>
      )}
      <h3>Recommended actions</h3>
      {note && (
        <p class={note.ok ? 'notice' : 'error'} role="status">
          {note.text}
        </p>
      )}
      {data.proposals.length === 0 && <p class="muted">None.</p>}
      {data.proposals.map((p) => (
        <ProposalCard p={p} busy={busy} onAsk={setAsked} />
      ))}
      {data.status === 'open' && (
        <div class="buttons">
          <button disabled={busy} onClick={() => setAsked({ decision: 'not-an-anomaly', proposal: null })}>
            Not an anomaly
          </button>
        </div>
      )}
      {asked && (
        <ConfirmDialog
          title={asked.proposal ? `${VERB[asked.decision]} ${asked.proposal.action}?` : 'Mark as not an anomaly?'}
          confirmLabel={VERB[asked.decision]}
          danger={asked.decision === 'approve' && asked.proposal?.risk !== 'low'}
          onCancel={() => setAsked(null)}
          onConfirm={() => void decide(asked)}
        >
          {asked.decision === 'approve' && asked.proposal && (
            <p>
              run-remediation will apply <b>{asked.proposal.action}</b> <code>{JSON.stringify(asked.proposal.params)}</code> (risk{' '}
              {asked.proposal.risk}) after its policy checks and a server-side dry run, then verify the result.
            </p>
          )}
          {asked.decision === 'decline' && <p>The action is not applied; the decision is recorded in the audit log.</p>}
          {asked.decision === 'not-an-anomaly' && <p>No action is taken; the detector learns from this feedback for this pod.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}
