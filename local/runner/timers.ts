/**
 * FC timer triggers locally: the same schedule syntax as FC (6-field cron `s m h dom mon dow` in UTC, an optional
 * `CRON_TZ=<zone>` prefix, or `@every 5m`) and the same event `{triggerTime, triggerName, payload}`.
 */
import * as CronNs from 'cron-parser';
import { cjsModule } from '../../shared/alibaba/cjs.js';

const { CronExpressionParser } = cjsModule<typeof import('cron-parser')>(CronNs);

export interface Schedule {
  /** The first firing strictly after `after`. */
  next(after: Date): Date;
}

export interface TimerEvent {
  triggerTime: string;
  triggerName: string;
  payload: string;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 };

/** `5m`, `1h30m`, `90s` -> milliseconds (the Go-style durations `@every` takes). */
function parseEvery(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)([hms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration)
    throw new Error(`invalid @every duration: ${duration}`);
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0);
  if (ms <= 0) throw new Error(`invalid @every duration: ${duration}`);
  return ms;
}

export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const every = text.match(/^@every\s+(\S+)$/);
  if (every) {
    const ms = parseEvery(every[1]);
    // Anchored at the epoch so restarts keep the same rhythm.
    return { next: (after) => new Date((Math.floor(after.getTime() / ms) + 1) * ms) };
  }
  const zoned = text.match(/^CRON_TZ=(\S+)\s+(.+)$/);
  const tz = zoned ? zoned[1] : 'UTC';
  const cron = zoned ? zoned[2] : text;
  if (cron.split(/\s+/).length !== 6) throw new Error(`FC cron needs 6 fields (seconds first): ${expression}`);
  CronExpressionParser.parse(cron, { tz }); // throws on a bad expression now rather than at the first tick
  return {
    next: (after) => CronExpressionParser.parse(cron, { currentDate: after, tz }).next().toDate(),
  };
}

export function timerEvent(triggerName: string, payload: string, at: Date): TimerEvent {
  return { triggerTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), triggerName, payload };
}

export interface TimerSpec {
  functionName: string;
  triggerName: string;
  schedule: Schedule;
  payload: string;
}

/** Arms each timer for its next firing, again and again, until the returned stop() is called. */
export function startTimers(
  timers: TimerSpec[],
  fire: (timer: TimerSpec, event: TimerEvent) => void,
  now: () => Date = () => new Date(),
): () => void {
  const handles = new Map<TimerSpec, NodeJS.Timeout>();
  let stopped = false;
  const arm = (timer: TimerSpec) => {
    if (stopped) return;
    const at = timer.schedule.next(now());
    // setTimeout caps at ~24.8 days; re-arm in steps for far-away schedules.
    const delay = Math.min(Math.max(0, at.getTime() - now().getTime()), 2 ** 31 - 1);
    handles.set(
      timer,
      setTimeout(() => {
        if (now().getTime() >= at.getTime()) fire(timer, timerEvent(timer.triggerName, timer.payload, at));
        arm(timer);
      }, delay),
    );
  };
  timers.forEach(arm);
  return () => {
    stopped = true;
    for (const handle of handles.values()) clearTimeout(handle);
    handles.clear();
  };
}
