/**
 * The CLI's clock. `--now` / `NLB_MTLS_NOW` (for tests) moves it to another instant and lets it run on from there,
 * so `agent` and `status` can be shown a certificate that is due without waiting. Proofs of possession are
 * always signed with the real clock: the service checks them against its own.
 */
import type { Clock } from '../shared/domain/ports.js';
import { usageError } from './exit-codes.js';

export function parseInstant(text: string, what = '--now'): Date {
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t))
    throw usageError(`${what} must be an ISO 8601 instant, e.g. 2026-12-20T00:00:00Z (got "${text}").`);
  return new Date(t);
}

export function cliClock(now: string | undefined, real: () => number = Date.now): Clock {
  if (now === undefined) return { now: () => new Date(real()) };
  const offset = parseInstant(now).getTime() - real();
  return { now: () => new Date(real() + offset) };
}

export const realClock: Clock = { now: () => new Date() };

/** `19d 4h`, `3h 12m`, `45s`; negative durations read `-2d 1h`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  if (m > 0) return `${sign}${m}m ${s}s`;
  return `${sign}${s}s`;
}
