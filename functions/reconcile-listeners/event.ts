/**
 * What a run was asked to do, from whichever trigger started it: the timer (its configured payload), an
 * EventBridge CloudEvent (its data), or a direct invocation (the event itself). The run id comes from the
 * trigger, so a re-delivered event reuses its ClientTokens and starts no second NLB job.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { CloudEventSchema, cloudEventData, decodeFcEvent, TimerEventSchema } from '../../shared/events/index.js';
import { ValidationError } from '../../shared/errors/index.js';
import type { RunOptions } from '../../shared/listeners/reconcile.js';
import { LISTENER_ID_PATTERN } from '../../shared/domain/listeners/listener-id.js';

export const RECONCILE_EVENT_TYPE = 'reconcile.requested';

export const RunRequestSchema = z.strictObject({
  mode: z.enum(['plan', 'apply']).optional(),
  listenerId: z.string().regex(LISTENER_ID_PATTERN, 'an NLB listener id (lsn-... or lsn-...@port)').optional(),
  /** Replace a CA even when active clients would be locked out. */
  forceCaChange: z.boolean().optional(),
  verify: z.boolean().optional(),
});
export type RunRequest = z.infer<typeof RunRequestSchema>;

function parseRequest(value: unknown, where: string): RunRequest {
  const parsed = RunRequestSchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new ValidationError(
      'EVENT_INVALID',
      `The ${where} is not a reconcile request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

function parsePayload(text: string | undefined): unknown {
  if (!text || !text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError('EVENT_INVALID', 'The timer payload is not JSON.', { cause: err });
  }
}

export function runOptionsFromEvent(
  event: unknown,
  context: { requestId?: string } | undefined,
  defaultMode: 'plan' | 'apply',
): RunOptions {
  const decoded = decodeFcEvent(event);
  let request: RunRequest;
  let runId: string;
  const timer = TimerEventSchema.safeParse(decoded);
  const cloudEvent = CloudEventSchema.safeParse(decoded);
  if (timer.success) {
    request = parseRequest(parsePayload(timer.data.payload), 'timer payload');
    runId = `timer:${timer.data.triggerName}:${timer.data.triggerTime}`;
  } else if (cloudEvent.success) {
    if (cloudEvent.data.type !== RECONCILE_EVENT_TYPE)
      throw new ValidationError(
        'EVENT_INVALID',
        `CloudEvents of type ${cloudEvent.data.type} are not for this function.`,
      );
    request = parseRequest(cloudEventData(cloudEvent.data), 'CloudEvent data');
    runId = `event:${cloudEvent.data.id}`;
  } else {
    request = parseRequest(decoded, 'event');
    runId = `invoke:${context?.requestId ?? randomUUID()}`;
  }
  return {
    mode: request.mode ?? defaultMode,
    runId,
    ...(request.listenerId ? { listenerId: request.listenerId } : {}),
    ...(request.forceCaChange ? { forceCaChange: true } : {}),
    ...(request.verify !== undefined ? { verify: request.verify } : {}),
  };
}
