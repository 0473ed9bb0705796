/**
 * gather -> check -> plan -> apply -> verify -> report, for every declared listener (or one), with bounded
 * concurrency. Reads are batched and shared (one ListListeners per 20 listeners, one CA read per CA), so a
 * fleet of listeners that are in sync costs a handful of reads and no writes.
 */
import type { Clock } from '../domain/ports.js';
import { ValidationError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { errorFields } from '../log/index.js';
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import type {
  AppliedRecord,
  AppliedStateStore,
  CanaryCredentials,
  CanaryProvider,
  CaFacts,
  CaSource,
  ClientCertificateInventory,
  ListenerAttributes,
  ListenerGateway,
  ProbeResult,
  RotationOverride,
  RotationSource,
  ServerCertificateFacts,
  ServerCertificateSource,
  ServerGroupAttributes,
  TlsProber,
} from '../domain/listeners/ports.js';
import { probeRequestOf } from '../domain/listeners/ports.js';
import { checkSeedRules, Rules, type GatheredListener } from '../domain/listeners/rules.js';
import { diffListener, withoutCaChange, type ExpectedIds } from '../domain/listeners/diff.js';
import { listenerBaseId, sameListener } from '../domain/listeners/listener-id.js';
import { desiredStateHash, listenerClientToken } from '../domain/listeners/client-token.js';
import { findLockedOutClients, type ChainsTo } from '../domain/listeners/ca-rotation.js';
import { applyPlan } from './apply.js';
import {
  assessManaged,
  commitManaged,
  plannedFacts,
  replaceManaged,
  retireDue,
  targetOf,
  type ManagedAssessment,
  type ManagedCertificateDeps,
} from './managed-certificates.js';
import { noticeExpiringServerCertificates, type ExpiryNoticeDeps } from './expiry-notices.js';
import {
  retirementsDue,
  type ManagedCertificateRef,
  type ManagedCertificateState,
} from '../domain/listeners/managed-certificate.js';
import type { ListenerStatusStore } from './status-store.js';
import { judgeProbes, type VerifyReport } from '../domain/listeners/verify.js';
import { chunk, mapWithConcurrency, memoize } from '../async/concurrency.js';
import { errorCode, withRetries, type PollPolicy, type RetryContext, type RetryPolicy } from './retry.js';
import {
  summarize,
  summaryLine,
  type ListenerResult,
  type RunMode,
  type RunReport,
} from '../domain/listeners/report.js';

export interface ReconcileConfig {
  caExpiryWindowDays: number;
  /** Listeners worked on at once. */
  concurrency: number;
  /** Listener ids per ListListeners / ListServerGroups call. */
  readBatchSize: number;
  retry: RetryPolicy;
  poll: PollPolicy;
  probeTimeoutMs: number;
  /** Tries of the handshakes before verification fails (a data plane may lag its control plane by a moment). */
  verifyAttempts: number;
  verifyRetryDelayMs: number;
}

export interface ReconcileDeps {
  gateway: ListenerGateway;
  cas: CaSource;
  serverCertificates: ServerCertificateSource;
  prober: TlsProber;
  canary: CanaryProvider;
  inventory: ClientCertificateInventory;
  applied: AppliedStateStore;
  /** Where each run's outcome is kept for the console (docs/console.md); none = not kept (unit tests). */
  status?: Pick<ListenerStatusStore, 'record'>;
  chainsTo: ChainsTo;
  /** Managed server certificates (absent: declarations with `managed` fail with NotConfigured). */
  managed?: ManagedCertificateDeps;
  /** Expiry notices for externally managed server certificates. */
  notices?: ExpiryNoticeDeps;
  /** CA rotations in progress (docs/rotation.md). */
  rotation?: RotationSource;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  log: Logger;
  config: ReconcileConfig;
}

export interface RunOptions {
  mode: RunMode;
  /** Same id for a re-delivered trigger event: its updates reuse their ClientTokens. */
  runId: string;
  /** Only this listener (it must be declared). */
  listenerId?: string;
  /** Replace a CA even when active clients would be locked out. */
  forceCaChange?: boolean;
  /** Handshake checks after apply (default true). */
  verify?: boolean;
}

type Gathered =
  | { ok: true; listener?: ListenerAttributes; serverGroup?: ServerGroupAttributes }
  | { ok: false; code: string; message: string };

export async function reconcileListeners(
  deps: ReconcileDeps,
  desired: ListenerMtls[],
  options: RunOptions,
): Promise<RunReport> {
  const started = Date.now();
  const { config, log } = deps;
  const retry: RetryContext = {
    policy: config.retry,
    sleep: deps.sleep,
    random: deps.random,
    onRetry: ({ attempt, code, delayMs }) => log.debug('retrying NLB/CAS call', { attempt, code, durationMs: delayMs }),
  };
  const only = options.listenerId;
  const selected = only ? desired.filter((d) => sameListener(d.listenerId, only)) : desired;
  if (options.listenerId && selected.length === 0) {
    throw new ValidationError(
      'LISTENER_NOT_DECLARED',
      `Listener ${options.listenerId} is not in the desired state: declare it first.`,
    );
  }

  const getCa = memoize((id: string) => withRetries(() => deps.cas.getCa(id), retry));
  const getServerCertificate = memoize((id: string) =>
    withRetries(() => deps.serverCertificates.getServerCertificate(id), retry),
  );
  const activeClients = memoize((_: 'all') => deps.inventory.listActive());
  const canary = memoize((_: 'current') => deps.canary.current());

  // The CA and server-certificate reads do not depend on the listeners: start them alongside the NLB reads.
  for (const d of selected) {
    if (d.mutualAuth) getCa(d.caCertificateId!).catch(() => undefined);
    if (!d.managedCertificate) getServerCertificate(d.serverCertId).catch(() => undefined);
  }
  const [gathered, applied] = await Promise.all([
    gatherListeners(deps, selected, retry),
    deps.applied.load().catch((err: unknown): undefined => {
      log.warn('applied-state record unreadable: drift cannot be told from change in this run', errorFields(err));
      return undefined;
    }),
  ]);
  const appliedUpdates: Record<string, AppliedRecord> = {};

  const served: Array<{ listenerId: string; facts: ServerCertificateFacts }> = [];

  const reconcileOne = async (declared: ListenerMtls): Promise<ListenerResult> => {
    const t0 = Date.now();
    let d = declared;
    const base = {
      listenerId: d.listenerId,
      region: d.region,
      ...(d.name ? { name: d.name } : {}),
      drift: false,
      plan: [],
    };
    let extra: Partial<ListenerResult> = {};
    const done = (
      r: Omit<ListenerResult, 'durationMs' | 'listenerId' | 'region' | 'drift' | 'plan'> & Partial<ListenerResult>,
    ): ListenerResult => ({
      ...base,
      ...extra,
      ...r,
      durationMs: Date.now() - t0,
    });
    const failed = (stage: string, err: unknown, more: Partial<ListenerResult> = {}) =>
      done({ outcome: 'failed', stage, reason: errorCode(err) ?? 'Unknown', message: (err as Error).message, ...more });

    const g = gathered.get(d.listenerId)!;
    if (!g.ok) return done({ outcome: 'failed', stage: 'gather', reason: g.code, message: g.message });

    // A CA rotation in progress decides this listener's CA (and which canary proves it): docs/rotation.md.
    let rotation: RotationOverride | undefined;
    if (deps.rotation && d.mutualAuth) {
      try {
        rotation = await deps.rotation.forListener(d.listenerId, d.caCertificateId);
      } catch (err) {
        return failed('gather', err, { message: `CA rotation state unreadable: ${(err as Error).message}` });
      }
      if (rotation) {
        const held = rotation.ca === 'hold' ? (g.listener?.caCertificateIds[0] ?? d.caCertificateId!) : rotation.ca;
        extra = {
          rotation: {
            id: rotation.rotationId,
            stage: rotation.stage,
            ca: held,
            ...(held !== d.caCertificateId ? { declaredCa: d.caCertificateId } : {}),
          },
        };
        d = { ...d, caCertificateId: held };
      }
    }

    // A managed server certificate: is a new one due, and would the CA issue it? (nothing is made yet)
    let managed: ManagedAssessment | undefined;
    if (d.managedCertificate) {
      if (!deps.managed)
        return done({
          outcome: 'failed',
          stage: 'server-certificate',
          reason: 'NotConfigured',
          message: 'managed server certificates are not configured for this run',
        });
      try {
        managed = await assessManaged(deps.managed, d);
      } catch (err) {
        return failed('server-certificate', err);
      }
      extra = { ...extra, serverCertificate: managed.plan };
      d = { ...d, serverCertId: targetOf(managed.state)?.certId ?? '' };
    }
    const replacing = managed !== undefined && managed.decision.action !== 'keep';

    let ca: CaFacts | undefined;
    let serverCertificate: ServerCertificateFacts | undefined;
    try {
      if (d.mutualAuth) ca = await getCa(d.caCertificateId!);
      if (managed) serverCertificate = managed.facts;
      else serverCertificate = await getServerCertificate(d.serverCertId);
    } catch (err) {
      return failed('gather', err);
    }
    if (serverCertificate && !managed) served.push({ listenerId: d.listenerId, facts: serverCertificate });

    const now = deps.clock.now();
    // While a replacement is only planned, the rules look at the certificate as it will be.
    const ruleCertificate =
      replacing && !(managed!.decision.action === 'resume' && serverCertificate)
        ? plannedFacts(managed!.spec, now)
        : serverCertificate;
    const facts: GatheredListener = {
      listener: g.listener,
      serverGroup: g.serverGroup,
      ca,
      serverCertificate: ruleCertificate,
    };
    const violations = checkSeedRules(d, facts, {
      now,
      caExpiryWindowDays: config.caExpiryWindowDays,
    });
    for (const problem of managed?.problems ?? [])
      violations.push({ rule: Rules.managedCertificateIssuable, message: problem });
    const previous = applied?.[d.listenerId];
    // The server certificate as NLB takes it: CAS's CertIdentifier, read from CAS (D6), never built by hand.
    let expected: ExpectedIds | undefined = ruleCertificate && {
      serverCertificateId: ruleCertificate.certIdentifier,
      ...(previous?.reportedIds ? { reported: previous.reportedIds } : {}),
    };
    let plan = g.listener && expected ? diffListener(d, g.listener, expected) : undefined;
    if (rotation?.ca === 'hold' && plan) plan = withoutCaChange(plan);
    if (violations.length) {
      return done({ outcome: 'blocked', rule: violations[0].rule, violations, plan: plan?.changes ?? [] });
    }

    if (plan!.caReplacement && !options.forceCaChange && !rotation) {
      // The current CA as we sent it, when NLB reports it in a form of its own.
      const from = plan!.caReplacement.from;
      const currentCaId = Object.entries(previous?.reportedIds ?? {}).find(([, seen]) => seen === from)?.[0] ?? from;
      try {
        const [clients, currentCa] = await Promise.all([activeClients('all'), getCa(currentCaId)]);
        const finding = findLockedOutClients(clients, currentCa?.certificatePem, ca!.certificatePem, deps.chainsTo);
        if (finding.lockedOut.length) {
          const shown = finding.lockedOut.slice(0, 10).join(', ');
          const violation = {
            rule: Rules.caChangeKeepsClients,
            message: `replacing CA ${plan!.caReplacement.from} with ${plan!.caReplacement.to} would lock out ${finding.lockedOut.length} of ${finding.affected} active client certificates (${shown}${finding.lockedOut.length > 10 ? ', ...' : ''}); re-issue them under the new CA or force the change`,
          };
          return done({
            outcome: 'blocked',
            rule: violation.rule,
            violations: [violation],
            plan: plan!.changes,
            drift: plan!.changes.length > 0 && previous?.desiredHash === desiredStateHash(d),
          });
        }
      } catch (err) {
        return failed('gather', err, {
          message: `active client certificates unreadable: ${(err as Error).message}`,
          plan: plan!.changes,
        });
      }
    }

    const retiring = managed ? retirementsDue(managed.state, now).length > 0 : false;
    if (options.mode === 'plan') {
      const hash = desiredStateHash(d);
      const drift = plan!.changes.length > 0 && previous?.desiredHash === hash;
      return done({
        outcome: plan!.changes.length || replacing || retiring ? 'changes-planned' : 'in-sync',
        plan: plan!.changes,
        drift,
      });
    }

    // Apply: a due replacement is issued and uploaded first; the listener then switches to it like any change.
    let replacement:
      | { ref: ManagedCertificateRef; facts: ServerCertificateFacts; state: ManagedCertificateState }
      | undefined;
    if (replacing) {
      try {
        replacement = await replaceManaged(deps.managed!, d, managed!);
      } catch (err) {
        return failed('server-certificate', err, { plan: plan!.changes });
      }
      d = { ...d, serverCertId: replacement.ref.certId };
      serverCertificate = replacement.facts;
      expected = {
        serverCertificateId: replacement.ref.certIdentifier,
        ...(previous?.reportedIds ? { reported: previous.reportedIds } : {}),
      };
      plan = diffListener(d, g.listener!, expected);
      if (rotation?.ca === 'hold') plan = withoutCaChange(plan);
      extra = {
        ...extra,
        serverCertificate: {
          ...managed!.plan,
          next: {
            certId: replacement.ref.certId,
            serialNumber: replacement.ref.serialNumber,
            notAfter: replacement.ref.notAfter,
          },
        },
      };
    }
    const hash = desiredStateHash(d);
    const drift = plan!.changes.length > 0 && previous?.desiredHash === hash;

    let jobId: string | undefined;
    let servedIds = g.listener?.certificateIds ?? [];
    if (plan!.changes.length) {
      const token = listenerClientToken(d, plan!, options.runId);
      const outcome = await applyPlan(
        { gateway: deps.gateway, retry, poll: config.poll, sleep: deps.sleep },
        d,
        plan!,
        token,
        expected!,
      );
      if (!outcome.ok) {
        return done({
          outcome: 'failed',
          stage: outcome.stage,
          reason: outcome.code,
          message: outcome.message,
          plan: plan!.changes,
          drift,
          ...(outcome.jobId ? { jobId: outcome.jobId } : {}),
        });
      }
      jobId = outcome.jobId;
      servedIds = outcome.listener.certificateIds;
      appliedUpdates[d.listenerId] = {
        desiredHash: hash,
        confirmedAt: deps.clock.now().toISOString(),
        jobId,
        ...(Object.keys(outcome.reported).length ? { reportedIds: outcome.reported } : {}),
      };
    } else if (applied && previous?.desiredHash !== hash) {
      appliedUpdates[d.listenerId] = {
        desiredHash: hash,
        confirmedAt: deps.clock.now().toISOString(),
        ...(previous?.reportedIds ? { reportedIds: previous.reportedIds } : {}),
      };
    }

    const changed = plan!.changes.length > 0;
    const succeeded = changed ? (drift ? 'drift-repaired' : 'changed') : 'in-sync';
    // The canary that proves this listener: the rotation's when the listener trusts the rotation's new CA.
    const canaryFor =
      rotation && d.caCertificateId === rotation.toCa ? () => rotation.toCanary.current() : () => canary('current');
    let probe: VerifyReport | undefined;
    if (options.verify !== false) {
      probe = await verifyListener(
        deps,
        d,
        serverCertificate!.fingerprintSha256,
        canaryFor,
        replacement?.ref.serialNumber,
      );
      if (probe.verdict !== 'passed') {
        return done({
          outcome: 'failed',
          stage: 'verify',
          reason: 'VerifyFailed',
          message: probe.reasons.join('; '),
          plan: plan!.changes,
          drift,
          probe,
          ...(jobId ? { jobId } : {}),
        });
      }
    }

    // Proven (or verification off): the replacement is current; replaced certificates leave the store after their grace.
    if (managed) {
      try {
        let state = replacement?.state ?? managed.state;
        if (state.pending?.uploaded && servedIds.includes(state.pending.uploaded.certIdentifier))
          state = await commitManaged(deps.managed!, d, state);
        const retired = await retireDue(deps.managed!, d, state, servedIds);
        const plannedRetire = retirementsDue(state, deps.clock.now());
        if (plannedRetire.length || retired.removed.length)
          extra = {
            ...extra,
            serverCertificate: {
              ...(extra.serverCertificate ?? managed.plan),
              retire: plannedRetire.map((r) => ({
                certId: r.certId,
                deleteAfter: r.deleteAfter,
                removed: retired.removed.includes(r.certId),
              })),
            },
          };
      } catch (err) {
        return failed('server-certificate', err, {
          plan: plan!.changes,
          drift,
          ...(probe ? { probe } : {}),
          ...(jobId ? { jobId } : {}),
        });
      }
    }

    return done({
      outcome: succeeded,
      plan: plan!.changes,
      drift,
      probe: probe ?? { verdict: 'skipped', reasons: ['verification turned off for this run'] },
      ...(jobId ? { jobId } : {}),
    });
  };

  const results = await mapWithConcurrency(selected, config.concurrency, async (d) => {
    const result = await reconcileOne(d);
    log.info('listener reconciled', {
      listenerId: result.listenerId,
      region: result.region,
      outcome: result.outcome,
      plan: result.plan,
      rule: result.rule,
      reason: result.reason,
      jobId: result.jobId,
      probe: result.probe?.verdict,
      durationMs: result.durationMs,
      mode: options.mode,
    });
    return result;
  });

  if (deps.notices && served.length) {
    await noticeExpiringServerCertificates(deps.notices, served).catch((err: unknown) =>
      log.warn('server certificate expiry notices failed', errorFields(err)),
    );
  }

  if (options.mode === 'apply' && applied && Object.keys(appliedUpdates).length) {
    try {
      await deps.applied.save({ ...applied, ...appliedUpdates });
    } catch (err) {
      log.warn('applied-state record not saved: the next run may report a drift as a change', errorFields(err));
    }
  }

  const report: RunReport = {
    runId: options.runId,
    mode: options.mode,
    results,
    summary: summarize(results, Date.now() - started),
  };
  log.info(summaryLine(report), { summary: report.summary, mode: options.mode });
  await deps.status?.record(report, { complete: !options.listenerId }).catch((err: unknown) => {
    log.warn('listener status not saved: the console shows the previous run', errorFields(err));
  });
  return report;
}

/** Batched reads per region: ListListeners then ListServerGroups, `readBatchSize` ids per call. */
async function gatherListeners(
  deps: ReconcileDeps,
  desired: ListenerMtls[],
  retry: RetryContext,
): Promise<Map<string, Gathered>> {
  const out = new Map<string, Gathered>();
  const regions = [...new Set(desired.map((d) => d.region))];
  for (const region of regions) {
    const ids = desired.filter((d) => d.region === region).map((d) => d.listenerId);
    const listeners = new Map<string, ListenerAttributes>();
    await mapWithConcurrency(chunk(ids, deps.config.readBatchSize), deps.config.concurrency, async (batch) => {
      try {
        // Keyed by base id: ListListeners may report `lsn-abc` for a declared `lsn-abc@443` (D7).
        const found = await withRetries(() => deps.gateway.getListeners(region, batch), retry);
        for (const id of batch) {
          const l = found.get(listenerBaseId(id));
          if (l) listeners.set(id, l);
        }
      } catch (err) {
        for (const id of batch)
          out.set(id, {
            ok: false,
            code: errorCode(err) ?? 'Unknown',
            message: `listener read failed: ${(err as Error).message}`,
          });
      }
    });
    const groupIds = [...new Set([...listeners.values()].map((l) => l.serverGroupId).filter((g): g is string => !!g))];
    const groups = new Map<string, ServerGroupAttributes>();
    const groupErrors = new Map<string, Error>();
    await mapWithConcurrency(chunk(groupIds, deps.config.readBatchSize), deps.config.concurrency, async (batch) => {
      try {
        const found = await withRetries(() => deps.gateway.getServerGroups(region, batch), retry);
        for (const [id, g] of found) groups.set(id, g);
      } catch (err) {
        for (const id of batch) groupErrors.set(id, err as Error);
      }
    });
    for (const id of ids) {
      if (out.has(id)) continue;
      const listener = listeners.get(id);
      const groupError = listener?.serverGroupId ? groupErrors.get(listener.serverGroupId) : undefined;
      if (groupError) {
        out.set(id, {
          ok: false,
          code: errorCode(groupError) ?? 'Unknown',
          message: `server group read failed: ${groupError.message}`,
        });
        continue;
      }
      out.set(id, {
        ok: true,
        listener,
        serverGroup: listener?.serverGroupId ? groups.get(listener.serverGroupId) : undefined,
      });
    }
  }
  return out;
}

/** Handshakes with the canary and without a client certificate, retried a little when they disagree with the declaration. */
async function verifyListener(
  deps: ReconcileDeps,
  d: ListenerMtls,
  expectedFingerprint: string,
  canary: () => Promise<CanaryCredentials>,
  expectedSerial?: string,
): Promise<VerifyReport> {
  const { config } = deps;
  let credentials: CanaryCredentials | undefined;
  if (d.mutualAuth) {
    try {
      credentials = await canary();
    } catch (err) {
      return { verdict: 'failed', reasons: [`no canary client certificate: ${(err as Error).message}`] };
    }
  }
  const request = probeRequestOf(d.probe, config.probeTimeoutMs);
  let report: VerifyReport = { verdict: 'failed', reasons: ['not run'] };
  for (let attempt = 1; attempt <= config.verifyAttempts; attempt += 1) {
    const [withCert, withoutCert] = await Promise.all([
      credentials
        ? deps.prober.probe({
            ...request,
            clientCertificateChainPem: credentials.certificateChainPem,
            clientKeyPem: credentials.privateKeyPem,
          })
        : Promise.resolve<ProbeResult | undefined>(undefined),
      deps.prober.probe(request),
    ]);
    report = judgeProbes(
      d,
      expectedFingerprint,
      {
        ...(withCert ? { withClientCertificate: withCert } : {}),
        withoutClientCertificate: withoutCert,
      },
      expectedSerial,
    );
    if (report.verdict === 'passed' || attempt === config.verifyAttempts) break;
    await deps.sleep(config.verifyRetryDelayMs * attempt);
  }
  return report;
}
