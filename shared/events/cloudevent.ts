/**
 * CloudEvents 1.0 (structured JSON), as an EventBridge trigger delivers them. The envelope is loose because the spec
 * allows extension attributes (EventBridge adds `aliyunaccountid`, `aliyunregionid`, `aliyuneventbusname`, ...);
 * each event type's `data` gets its own strict schema.
 */
import * as z from 'zod';

export const CloudEventSchema = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(256),
  source: z.string().min(1).max(1024),
  type: z.string().min(1).max(256),
  subject: z.string().max(1024).optional(),
  time: z.string().optional(),
  datacontenttype: z.string().optional(),
  data: z.unknown().optional(),
});
export type CloudEvent = z.infer<typeof CloudEventSchema>;

/** `data` as an object: EventBridge may deliver JSON data as a string, and data_base64 as base64. */
export function cloudEventData(event: CloudEvent): unknown {
  const raw =
    event.data ??
    (typeof event.data_base64 === 'string' ? Buffer.from(event.data_base64, 'base64').toString('utf8') : undefined);
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
