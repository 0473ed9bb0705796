/** The triggers of one s.yaml resource, read into what the local runner needs to serve them. */
import type { FcTrigger } from '../s-yaml.js';
import { eventPatternMatcher, type CloudEvent } from './cloud-events.js';
import { parseSchedule, type Schedule } from './timers.js';

export interface HttpTrigger {
  kind: 'http';
  triggerName: string;
  methods: string[];
  authType: string;
}
export interface TimerTrigger {
  kind: 'timer';
  triggerName: string;
  cronExpression: string;
  schedule: Schedule;
  enabled: boolean;
  payload: string;
}
export interface EventBridgeTrigger {
  kind: 'eventbridge';
  triggerName: string;
  pattern: string;
  matches: (event: CloudEvent) => boolean;
  enabled: boolean;
}
export type LocalTrigger = HttpTrigger | TimerTrigger | EventBridgeTrigger;

export function readTriggers(resourceName: string, triggers: FcTrigger[] = []): LocalTrigger[] {
  return triggers.flatMap((t): LocalTrigger[] => {
    const config = t.triggerConfig ?? {};
    const where = `s.yaml ${resourceName} trigger ${t.triggerName}`;
    try {
      switch (t.triggerType) {
        case 'http':
          return [
            {
              kind: 'http',
              triggerName: t.triggerName,
              methods: (config.methods as string[]) ?? ['GET'],
              authType: String(config.authType ?? 'anonymous'),
            },
          ];
        case 'timer':
          return [
            {
              kind: 'timer',
              triggerName: t.triggerName,
              cronExpression: String(config.cronExpression),
              schedule: parseSchedule(String(config.cronExpression)),
              enabled: config.enable !== false,
              payload: typeof config.payload === 'string' ? config.payload : '',
            },
          ];
        case 'eventbridge': {
          const pattern = String(config.eventRuleFilterPattern ?? '{}');
          return [
            {
              kind: 'eventbridge',
              triggerName: t.triggerName,
              pattern,
              matches: eventPatternMatcher(pattern),
              enabled: config.triggerEnable !== false,
            },
          ];
        }
        default:
          return []; // oss, log, mns, ...: not used by this project, not served locally
      }
    } catch (err) {
      throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  });
}
