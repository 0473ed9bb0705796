/**
 * When a certificate becomes due for renewal, and the sortable index key that finds it. As cert-manager has it
 * (`RenewalTime`): `renewBeforeDays` ("that many days before notAfter") only when it is shorter than the actual
 * lifetime, otherwise once 2/3 of the lifetime has passed (also the default). A renewal cut short by the CA's end
 * must never be due at once. Whole seconds, as the index key has them.
 */
const DAY_MS = 86_400_000;

export function renewalTime(notBefore: Date, notAfter: Date, renewBeforeDays?: number): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const before = renewBeforeDays !== undefined ? renewBeforeDays * DAY_MS : undefined;
  const at =
    before !== undefined && before < lifetime
      ? notAfter.getTime() - before
      : notBefore.getTime() + Math.floor((lifetime * 2) / 3);
  return new Date(Math.floor(at / 1000) * 1000);
}

export const RENEWAL_INDEX_PREFIX = 'index/renew/';

/** `index/renew/<epoch seconds, 12 digits>/<id>`: lexical order is time order. */
export function renewalIndexKey(renewAt: Date, id: string): string {
  const seconds = Math.max(0, Math.floor(renewAt.getTime() / 1000));
  return `${RENEWAL_INDEX_PREFIX}${String(seconds).padStart(12, '0')}/${id}`;
}

/** The first key that is NOT due at `now`: list the index up to here. */
export function renewalIndexUpperBound(now: Date): string {
  return `${RENEWAL_INDEX_PREFIX}${String(Math.floor(now.getTime() / 1000) + 1).padStart(12, '0')}/`;
}

/** Ids as docs/architecture.md fixes them; checked before an id from a key or an event is used in another key. */
export const CERTIFICATE_ID_PATTERN = /^cc-[a-z0-9]{20,40}$/;

export interface RenewalIndexEntry {
  key: string;
  /** Epoch seconds the entry sorts on (the next time the certificate must be looked at). */
  reviewAtSeconds: number;
  certificateId: string;
}

/** The inverse of `renewalIndexKey`; undefined for anything else found under the prefix (never trusted blindly). */
export function parseRenewalIndexKey(key: string): RenewalIndexEntry | undefined {
  if (!key.startsWith(RENEWAL_INDEX_PREFIX)) return undefined;
  const m = key.slice(RENEWAL_INDEX_PREFIX.length).match(/^(\d{12})\/([^/]+)$/);
  if (!m || !CERTIFICATE_ID_PATTERN.test(m[2])) return undefined;
  return { key, reviewAtSeconds: Number(m[1]), certificateId: m[2] };
}
