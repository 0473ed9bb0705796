/**
 * Why: the console shows each declared listener's last reconcile outcome and its last handshake proof. A run's
 * report is merged into one small document (pure, here); the reconciler stores it after each run and cert-api
 * serves it. A run that did not verify (plan mode, `--no-verify`) keeps the proof of an earlier run.
 */
import type { FieldChange } from './diff.js';
import type { ProbeResult } from './ports.js';
import type { ListenerOutcome, ListenerResult, RunMode, RunReport } from './report.js';
import type { RuleViolation } from './rules.js';

/** One handshake as the console shows it: the verdict's facts, never the backend's answer beyond its first line. */
export interface HandshakeSummary {
  outcome: ProbeResult['outcome'];
  clientCertificateSent: boolean;
  protocol?: string;
  errorCode?: string;
  /** e.g. `HTTP/1.1 200 OK`, at most 80 characters. */
  firstLine?: string;
  serverCertificate?: { commonName?: string; fingerprintSha256: string; notAfter?: string };
}

export interface HandshakeProof {
  at: string;
  runId: string;
  verdict: 'passed' | 'failed';
  reasons: string[];
  withClientCertificate?: HandshakeSummary;
  withoutClientCertificate?: HandshakeSummary;
}

export interface ListenerStatus {
  listenerId: string;
  region: string;
  name?: string;
  outcome: ListenerOutcome;
  mode: RunMode;
  runId: string;
  at: string;
  drift: boolean;
  plan: FieldChange[];
  rule?: string;
  violations?: RuleViolation[];
  stage?: string;
  reason?: string;
  message?: string;
  jobId?: string;
  /** The last handshake proof, from this run or an earlier one. */
  proof?: HandshakeProof;
}

export interface ListenerStatusDocument {
  v: 1;
  updatedAt: string;
  listeners: ListenerStatus[];
}

const FIRST_LINE_MAX = 80;

function handshake(p: ProbeResult | undefined): HandshakeSummary | undefined {
  if (!p) return undefined;
  const firstLine = p.firstBytes?.split(/\r?\n|\.\./)[0]?.slice(0, FIRST_LINE_MAX);
  const peer = p.peerCertificate;
  return {
    outcome: p.outcome,
    clientCertificateSent: p.clientCertificateSent,
    ...(p.protocol ? { protocol: p.protocol } : {}),
    ...(p.errorCode ? { errorCode: p.errorCode } : {}),
    ...(firstLine ? { firstLine } : {}),
    ...(peer
      ? {
          serverCertificate: {
            ...(peer.commonName ? { commonName: peer.commonName } : {}),
            fingerprintSha256: peer.fingerprintSha256,
            ...(peer.notAfter ? { notAfter: peer.notAfter } : {}),
          },
        }
      : {}),
  };
}

function proofOf(result: ListenerResult, runId: string, at: string): HandshakeProof | undefined {
  const probe = result.probe;
  if (!probe || probe.verdict === 'skipped') return undefined;
  const withCert = handshake(probe.withClientCertificate);
  const withoutCert = handshake(probe.withoutClientCertificate);
  return {
    at,
    runId,
    verdict: probe.verdict,
    reasons: probe.reasons,
    ...(withCert ? { withClientCertificate: withCert } : {}),
    ...(withoutCert ? { withoutClientCertificate: withoutCert } : {}),
  };
}

const baseId = (listenerId: string) => listenerId.split('@')[0];

/**
 * The document after `report`. `complete`: the run covered every declared listener, so a listener it did not
 * report is no longer declared and is dropped; a run for one listener leaves the others as they were.
 */
export function mergeRunIntoStatus(
  previous: ListenerStatusDocument | undefined,
  report: RunReport,
  at: Date,
  complete: boolean,
): ListenerStatusDocument {
  const when = at.toISOString();
  const before = new Map((previous?.listeners ?? []).map((l) => [baseId(l.listenerId), l]));
  const after = new Map<string, ListenerStatus>(complete ? [] : before);
  for (const r of report.results) {
    const proof = proofOf(r, report.runId, when) ?? before.get(baseId(r.listenerId))?.proof;
    after.set(baseId(r.listenerId), {
      listenerId: r.listenerId,
      region: r.region,
      ...(r.name ? { name: r.name } : {}),
      outcome: r.outcome,
      mode: report.mode,
      runId: report.runId,
      at: when,
      drift: r.drift,
      plan: r.plan,
      ...(r.rule ? { rule: r.rule } : {}),
      ...(r.violations?.length ? { violations: r.violations } : {}),
      ...(r.stage ? { stage: r.stage } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.message ? { message: r.message } : {}),
      ...(r.jobId ? { jobId: r.jobId } : {}),
      ...(proof ? { proof } : {}),
    });
  }
  const listeners = [...after.values()].sort((a, b) => (a.listenerId < b.listenerId ? -1 : 1));
  return { v: 1, updatedAt: when, listeners };
}
