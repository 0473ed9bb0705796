/**
 * The renewal functions' inputs: what renew-scheduler accepts (a timer tick, a `renew.requested` CloudEvent, or a
 * manual `{}`/`{"action":"sweep"}` invoke) and the batch payload it sends renew-worker by async invocation.
 */
import * as z from 'zod';
import { ValidationError } from '../errors/index.js';
import { CERTIFICATE_ID_PATTERN, RENEWAL_INDEX_PREFIX } from '../domain/renewal/schedule.js';
import { CloudEventSchema, cloudEventData } from './cloudevent.js';
import { TimerEventSchema } from './timer.js';

export const RENEW_REQUESTED_TYPE = 'renew.requested';

export const CertificateIdSchema = z
  .string()
  .regex(CERTIFICATE_ID_PATTERN, 'a certificate id such as cc-<20-40 lower-case letters and digits>');

/** `data` of a `renew.requested` event. Pin `generation` to make redelivery harmless; `force` renews even when not due. */
export const RenewRequestedDataSchema = z.strictObject({
  certificateId: CertificateIdSchema,
  generation: z.number().int().min(1).optional(),
  force: z.boolean().optional(),
  reason: z.string().max(200).optional(),
});
export type RenewRequestedData = z.infer<typeof RenewRequestedDataSchema>;

export const RenewalWorkItemSchema = z.strictObject({
  certificateId: CertificateIdSchema,
  indexKeys: z.array(z.string().startsWith(RENEWAL_INDEX_PREFIX).max(200)).max(10).optional(),
  pendingGeneration: z.number().int().min(1).optional(),
  request: z
    .strictObject({
      eventId: z.string().min(1).max(256),
      force: z.boolean(),
      generation: z.number().int().min(1).optional(),
    })
    .optional(),
});

export const RenewWorkerPayloadSchema = z.strictObject({
  sweepId: z.string().regex(/^[a-z0-9-]{8,64}$/),
  trigger: z.enum(['schedule', 'event', 'manual']),
  batch: z.number().int().min(0),
  batches: z.number().int().min(1),
  items: z.array(RenewalWorkItemSchema).min(1).max(200),
});
export type RenewWorkerPayload = z.infer<typeof RenewWorkerPayloadSchema>;

export type SchedulerInput =
  | { kind: 'sweep'; trigger: 'schedule' | 'manual'; triggerName?: string }
  | { kind: 'requested'; eventId: string; source: string; data: RenewRequestedData };

const ManualSweepSchema = z.strictObject({ action: z.literal('sweep').optional() });

function invalid(message: string, issues?: z.core.$ZodIssue[]): ValidationError {
  return new ValidationError(
    'EVENT_INVALID',
    message,
    issues ? { details: { issues: issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } } : {},
  );
}

/** Tell the scheduler's three kinds of input apart and validate each once, here at the edge. */
export function parseSchedulerInput(event: unknown): SchedulerInput {
  if (event && typeof event === 'object' && 'specversion' in event) {
    const cloudEvent = CloudEventSchema.safeParse(event);
    if (!cloudEvent.success) throw invalid('The CloudEvent envelope is invalid.', cloudEvent.error.issues);
    if (cloudEvent.data.type !== RENEW_REQUESTED_TYPE)
      throw invalid(`Unsupported event type; expected ${RENEW_REQUESTED_TYPE}.`);
    const data = RenewRequestedDataSchema.safeParse(cloudEventData(cloudEvent.data));
    if (!data.success) throw invalid('The renew.requested data is invalid.', data.error.issues);
    return { kind: 'requested', eventId: cloudEvent.data.id, source: cloudEvent.data.source, data: data.data };
  }
  if (event && typeof event === 'object' && 'triggerTime' in event) {
    const timer = TimerEventSchema.safeParse(event);
    if (!timer.success) throw invalid('The timer event is invalid.', timer.error.issues);
    return { kind: 'sweep', trigger: 'schedule', triggerName: timer.data.triggerName };
  }
  const manual = ManualSweepSchema.safeParse(event);
  if (!manual.success)
    throw invalid('Expected a timer event, a renew.requested CloudEvent, or {"action":"sweep"}.', manual.error.issues);
  return { kind: 'sweep', trigger: 'manual' };
}
