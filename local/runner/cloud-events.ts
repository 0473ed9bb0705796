/**
 * EventBridge triggers locally: a CloudEvents 1.0 envelope completed with the fields Alibaba's EventBridge adds
 * (`aliyunaccountid`, `aliyunregionid`, ...), and the subset of event-pattern matching the triggers in s.yaml use.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';

export const CloudEventInputSchema = z.looseObject({
  id: z.string().min(1).optional(),
  source: z.string().min(1).default('local.cli'),
  specversion: z.literal('1.0').default('1.0'),
  type: z.string().min(1),
  subject: z.string().optional(),
  time: z.string().optional(),
  datacontenttype: z.string().optional(),
  dataschema: z.string().optional(),
  data: z.unknown().optional(),
});
export type CloudEventInput = z.input<typeof CloudEventInputSchema>;

export interface CloudEvent {
  id: string;
  source: string;
  specversion: '1.0';
  type: string;
  subject?: string;
  time: string;
  datacontenttype: string;
  data?: unknown;
  aliyunaccountid: string;
  aliyunregionid: string;
  aliyuneventbusname: string;
  aliyunpublishtime: string;
  aliyunoriginalaccountid: string;
  [extension: string]: unknown;
}

export function toCloudEvent(
  input: unknown,
  meta: { accountId: string; region: string; now?: Date; eventBusName?: string },
): CloudEvent {
  const e = CloudEventInputSchema.parse(input);
  const now = (meta.now ?? new Date()).toISOString();
  return {
    ...e,
    id: e.id ?? randomUUID(),
    source: e.source,
    specversion: '1.0',
    type: e.type,
    time: e.time ?? now,
    datacontenttype: e.datacontenttype ?? 'application/json',
    aliyunaccountid: meta.accountId,
    aliyunregionid: meta.region,
    aliyuneventbusname: meta.eventBusName ?? 'default',
    aliyunpublishtime: now,
    aliyunoriginalaccountid: meta.accountId,
  };
}

type Matcher = (value: unknown, present: boolean) => boolean;

function leafMatcher(rule: unknown): Matcher {
  if (rule === null || typeof rule !== 'object') return (v) => v === rule;
  const r = rule as Record<string, unknown>;
  const [kind, arg] = Object.entries(r)[0] ?? [];
  switch (kind) {
    case 'prefix':
      return (v) => typeof v === 'string' && v.startsWith(String(arg));
    case 'suffix':
      return (v) => typeof v === 'string' && v.endsWith(String(arg));
    case 'exists':
      return (_v, present) => present === Boolean(arg);
    case 'anything-but': {
      const excluded = Array.isArray(arg) ? arg : [arg];
      return (v, present) => present && !excluded.includes(v);
    }
    default:
      throw new Error(
        `event pattern: unsupported matcher ${JSON.stringify(rule)} (supported: values, prefix, suffix, exists, anything-but)`,
      );
  }
}

function compile(pattern: Record<string, unknown>): (event: Record<string, unknown>) => boolean {
  const checks = Object.entries(pattern).map(([field, rule]) => {
    if (Array.isArray(rule)) {
      const any = rule.map(leafMatcher);
      return (e: Record<string, unknown>) => any.some((m) => m(e[field], field in e));
    }
    if (rule && typeof rule === 'object') {
      const nested = compile(rule as Record<string, unknown>);
      return (e: Record<string, unknown>) => {
        const v = e[field];
        return !!v && typeof v === 'object' && nested(v as Record<string, unknown>);
      };
    }
    throw new Error(`event pattern: field ${field} needs an array of values or a nested object`);
  });
  return (event) => checks.every((check) => check(event));
}

/** `eventRuleFilterPattern` (a JSON string in s.yaml) -> a predicate; throws at load time on what it cannot match. */
export function eventPatternMatcher(patternJson: string): (event: CloudEvent) => boolean {
  const parsed: unknown = JSON.parse(patternJson);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('event pattern must be a JSON object');
  const predicate = compile(parsed as Record<string, unknown>);
  return (event) => predicate(event as Record<string, unknown>);
}
