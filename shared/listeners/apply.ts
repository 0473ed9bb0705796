/**
 * Applies one listener plan: a dry run, then the real update with its ClientToken, then waits (bounded) for the
 * job to succeed and the listener to be Running with the desired fields. One update per listener per run: when
 * the job does not finish in time, the run ends with a clear failure instead of sending a second update.
 * After the job, the ids the listener reports for the CA and server certificate we sent are read back
 * (ListListenerCertificates) and kept: NLB may name them in a form of its own (D5), never assumed equal.
 */
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import { diffListener, type ExpectedIds, type ListenerPlan } from '../domain/listeners/diff.js';
import type { ListenerAttributes, ListenerGateway } from '../domain/listeners/ports.js';
import { errorCode, pollDelaysMs, withRetries, type PollPolicy, type RetryContext } from './retry.js';

export type ApplyStage = 'dry-run' | 'update' | 'job' | 'listener-status' | 'listener-certificates';

export type ApplyOutcome =
  | { ok: true; jobId: string; listener: ListenerAttributes; reported: Record<string, string> }
  | { ok: false; stage: ApplyStage; code: string; message: string; jobId?: string };

export interface ApplyContext {
  gateway: ListenerGateway;
  retry: RetryContext;
  poll: PollPolicy;
  sleep: (ms: number) => Promise<void>;
}

const failure = (stage: ApplyStage, err: unknown, jobId?: string): ApplyOutcome => ({
  ok: false,
  stage,
  code: errorCode(err) ?? 'Unknown',
  message: err instanceof Error ? err.message : String(err),
  ...(jobId ? { jobId } : {}),
});

export async function applyPlan(
  ctx: ApplyContext,
  desired: ListenerMtls,
  plan: ListenerPlan,
  clientToken: string,
  expected: ExpectedIds,
): Promise<ApplyOutcome> {
  // Defence in depth: the diff emits caEnabled=false only for an explicit `mutualAuth: off`; refuse anything else.
  if (plan.update.caEnabled === false && desired.mutualAuth !== false) {
    return {
      ok: false,
      stage: 'dry-run',
      code: 'MutualAuthOffNotDeclared',
      message: 'refusing to turn mutual auth off: the desired state does not say mutualAuth: off',
    };
  }
  const { gateway } = ctx;
  const { region, listenerId } = desired;

  try {
    await withRetries(() => gateway.dryRunUpdate(region, listenerId, plan.update), ctx.retry);
  } catch (err) {
    return failure('dry-run', err);
  }

  let jobId: string;
  try {
    ({ jobId } = await withRetries(
      () => gateway.updateListener(region, listenerId, plan.update, clientToken),
      ctx.retry,
    ));
  } catch (err) {
    return failure('update', err);
  }

  const delays = pollDelaysMs(ctx.poll);
  let step = 0;
  let succeeded = false;
  for (; step < delays.length && !succeeded; step += 1) {
    await ctx.sleep(delays[step]);
    let status: string;
    try {
      status = await withRetries(() => gateway.getJobStatus(region, jobId), ctx.retry);
    } catch (err) {
      return failure('job', err, jobId);
    }
    if (status === 'Failed')
      return { ok: false, stage: 'job', code: 'JobFailed', message: `NLB job ${jobId} failed`, jobId };
    succeeded = status === 'Succeeded';
  }
  if (!succeeded) {
    return {
      ok: false,
      stage: 'job',
      code: 'JobTimeout',
      message: `NLB job ${jobId} did not finish within ${Math.round(ctx.poll.timeoutMs / 1000)} s; no second update was sent`,
      jobId,
    };
  }

  // What the listener calls the CA and server certificate we sent: read, not assumed.
  const reported = { ...expected.reported };
  if (plan.update.caCertificateIds || plan.update.certificateIds) {
    try {
      const held = await withRetries(() => gateway.getListenerCertificates(region, listenerId), ctx.retry);
      const [sentCa] = plan.update.caCertificateIds ?? [];
      if (sentCa && held.caCertificateIds.length === 1) reported[sentCa] = held.caCertificateIds[0];
      const [sentServer] = plan.update.certificateIds ?? [];
      if (sentServer && held.serverCertificateIds[0]) reported[sentServer] = held.serverCertificateIds[0];
    } catch (err) {
      return failure('listener-certificates', err, jobId);
    }
  }
  for (const [sent, seen] of Object.entries(reported)) if (sent === seen) delete reported[sent];

  // The job is done; the listener must be Running with our fields. Usually the first look shows it.
  const remaining = [0, ...delays.slice(step)];
  for (const delay of remaining) {
    if (delay) await ctx.sleep(delay);
    let listener: ListenerAttributes;
    try {
      listener = await withRetries(() => gateway.getListener(region, listenerId), ctx.retry);
    } catch (err) {
      return failure('listener-status', err, jobId);
    }
    if (listener.status !== 'Running') continue;
    const left = diffListener(desired, listener, { ...expected, reported });
    if (left.changes.length) {
      return {
        ok: false,
        stage: 'listener-status',
        code: 'UpdateNotEffective',
        message: `job ${jobId} succeeded but the listener still differs: ${left.changes.map((c) => c.field).join(', ')}`,
        jobId,
      };
    }
    return { ok: true, jobId, listener, reported };
  }
  return {
    ok: false,
    stage: 'listener-status',
    code: 'ListenerNotRunning',
    message: `listener ${listenerId} did not return to Running after job ${jobId}`,
    jobId,
  };
}
