/**
 * Why: what an operator wants to see of a fleet at a glance (how many certificates, what expires when, whether
 * renewal keeps up) as one pure function of the fleet entries and a moment, so the console's summary and its
 * timeline are the same numbers whoever computes them (the scheduler for a whole tenant, cert-api for a token
 * whose policy sees only some names).
 */
import type { FleetEntry } from './entries.js';

export const TIMELINE_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * Where a live certificate stands with renewal, in order of precedence:
 * `failing` (the last attempt failed: backing off or retrying), `not-renewing` (auto-renew off: it will expire),
 * `due` (its renewal time has passed and no renewal has happened yet: the backlog), `scheduled` (not due yet).
 */
export type RenewalStanding = 'failing' | 'not-renewing' | 'due' | 'scheduled';

export interface TimelineDay {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  /** Certificates whose notAfter falls on that day, by renewal standing. */
  scheduled: number;
  due: number;
  failing: number;
  notRenewing: number;
}

export interface FleetSummary {
  /** The moment the numbers describe. */
  asOf: string;
  certificates: { total: number; active: number; expired: number; revoked: number };
  /** Live certificates (not revoked, and unexpired or still to be renewed) by renewal standing. */
  renewal: {
    scheduled: number;
    /** The renewal backlog: due (renewal time passed, expired ones included) and not renewed yet. */
    due: number;
    failing: number;
    /** Failing and waiting before the next attempt (`nextAttemptAt` still ahead). */
    backingOff: number;
    notRenewing: number;
    /** The next renewal time of a scheduled certificate, if any. */
    nextRenewalAt?: string;
  };
  /** Active certificates whose notAfter is within that many days. */
  expiring: { within7Days: number; within30Days: number; within90Days: number };
  /** One entry per UTC day from asOf's day, TIMELINE_DAYS long: active certificates by the day they expire. */
  timeline: TimelineDay[];
  /** Active certificates expiring after the timeline's last day. */
  beyondTimeline: number;
}

const isRevoked = (e: FleetEntry) => e.status === 'REVOKED' || (e.status as string) === 'REVOKING';

export function renewalStanding(entry: FleetEntry, asOf: Date): RenewalStanding {
  if (entry.failedAttempts > 0) return 'failing';
  if (!entry.autoRenew) return 'not-renewing';
  return entry.renewAt <= asOf.getTime() ? 'due' : 'scheduled';
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function emptyTimeline(startMs: number): TimelineDay[] {
  return Array.from({ length: TIMELINE_DAYS }, (_, i) => ({
    date: utcDay(startMs + i * DAY_MS),
    scheduled: 0,
    due: 0,
    failing: 0,
    notRenewing: 0,
  }));
}

const TIMELINE_FIELD: Record<RenewalStanding, 'scheduled' | 'due' | 'failing' | 'notRenewing'> = {
  scheduled: 'scheduled',
  due: 'due',
  failing: 'failing',
  'not-renewing': 'notRenewing',
};

export function summarizeFleet(entries: Iterable<FleetEntry>, asOf: Date): FleetSummary {
  const now = asOf.getTime();
  const dayZero = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
  const timeline = emptyTimeline(dayZero);
  const certificates = { total: 0, active: 0, expired: 0, revoked: 0 };
  const renewal = { scheduled: 0, due: 0, failing: 0, backingOff: 0, notRenewing: 0 };
  const expiring = { within7Days: 0, within30Days: 0, within90Days: 0 };
  let beyondTimeline = 0;
  let nextRenewal: number | undefined;

  for (const e of entries) {
    certificates.total += 1;
    if (isRevoked(e)) {
      certificates.revoked += 1;
      continue;
    }
    const expired = e.status === 'EXPIRED' || e.notAfter <= now;
    if (expired) certificates.expired += 1;
    else certificates.active += 1;
    // An expired certificate nobody renews is simply expired; one with auto-renew on is still renewed (backlog).
    if (expired && !e.autoRenew && e.failedAttempts === 0) continue;

    const standing = renewalStanding(e, asOf);
    renewal[TIMELINE_FIELD[standing]] += 1;
    if (standing === 'failing' && e.nextAttemptAt !== undefined && e.nextAttemptAt > now) renewal.backingOff += 1;
    if (standing === 'scheduled' && (nextRenewal === undefined || e.renewAt < nextRenewal)) nextRenewal = e.renewAt;
    if (expired) continue;

    const left = e.notAfter - now;
    if (left <= 7 * DAY_MS) expiring.within7Days += 1;
    if (left <= 30 * DAY_MS) expiring.within30Days += 1;
    if (left <= 90 * DAY_MS) expiring.within90Days += 1;
    const day = Math.floor((e.notAfter - dayZero) / DAY_MS);
    if (day < TIMELINE_DAYS) timeline[day][TIMELINE_FIELD[standing]] += 1;
    else beyondTimeline += 1;
  }

  return {
    asOf: asOf.toISOString(),
    certificates,
    renewal: {
      ...renewal,
      ...(nextRenewal !== undefined ? { nextRenewalAt: new Date(nextRenewal).toISOString() } : {}),
    },
    expiring,
    timeline,
    beyondTimeline,
  };
}
