/**
 * `GET /v1/certificates`: walks the tenant index (`index/tenant/<tenant>/<id>`, in id = creation order), reads
 * the records a page needs, and filters them. With filters a page may come back short: the scan stops after a
 * bound and `nextToken` continues from there. Tokens only move forward inside the caller's own prefix. A record
 * that cannot be read (corrupted JSON) is skipped and logged: one bad object never fails a tenant's whole list.
 */
import { canSee, type Principal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { isAppError, ValidationError } from '../errors/index.js';
import { errorFields, type Logger } from '../log/index.js';
import { isCertificateId, tenantIndexPrefix, TENANT_INDEX_PREFIX } from './ids.js';
import { readRecord } from './records.js';
import type { ListQuery } from './schemas.js';
import { mapBounded } from './storage.js';
import { toView, viewStatus, type ClientCertificateView } from './view.js';

export interface ListResult {
  items: ClientCertificateView[];
  nextToken?: string;
}

const LIST_SCAN_LIMIT = 1000;
const READ_CONCURRENCY = 8;
const DEFAULT_LIMIT = 50;

export function matchesFilter(record: ClientCertificate, query: ListQuery, now: Date): boolean {
  if (query.commonNamePrefix && !record.commonName.toLowerCase().startsWith(query.commonNamePrefix.toLowerCase()))
    return false;
  if (!query.status) return true;
  if (query.status === 'RENEWAL_FAILING')
    return record.status === 'ACTIVE' && (record.renewal?.failedAttempts ?? 0) > 0;
  const status = viewStatus(record, now);
  // A revocation in progress is listed with the revoked ones: no renewal, no links.
  return status === query.status || (query.status === 'REVOKED' && status === 'REVOKING');
}

export function encodeNextToken(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey }), 'utf8').toString('base64url');
}

export function decodeNextToken(token: string, prefix: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && parsed.after.startsWith(prefix) && parsed.after.length < 512)
      return parsed.after;
  } catch {
    // not base64url JSON: refused below
  }
  throw new ValidationError('INVALID_NEXT_TOKEN', 'nextToken is not one this API returned.');
}

export async function listCertificates(
  store: ObjectStore,
  clock: Clock,
  principal: Principal,
  query: ListQuery,
  log?: Logger,
): Promise<ListResult> {
  const prefix = principal.kind === 'token' ? tenantIndexPrefix(principal.tenant) : TENANT_INDEX_PREFIX;
  const limit = query.limit ?? DEFAULT_LIMIT;
  let startAfter = query.nextToken !== undefined ? decodeNextToken(query.nextToken, prefix) : undefined;
  const items: ClientCertificateView[] = [];
  let scanned = 0;
  const now = clock.now();
  for (;;) {
    const page = await store.list({ prefix, startAfter, maxKeys: 100 });
    const ids = page.keys.map((key) => key.slice(prefix.length).split('/').pop() ?? '');
    const records = await mapBounded(ids, READ_CONCURRENCY, async (id) => {
      if (!isCertificateId(id)) return undefined;
      try {
        return await readRecord(store, id);
      } catch (err) {
        // Only an unreadable object is skipped; an outage still fails the request (retryable).
        if (!isAppError(err) || err.code !== 'STATE_UNREADABLE') throw err;
        log?.error('unreadable record skipped in a list', { ...errorFields(err), certificateId: id });
        return undefined;
      }
    });
    for (let i = 0; i < page.keys.length; i += 1) {
      startAfter = page.keys[i];
      scanned += 1;
      const record = records[i];
      if (!record || !canSee(principal, record) || !matchesFilter(record, query, now)) continue;
      items.push(toView(record, now));
      if (items.length >= limit) {
        const more = i < page.keys.length - 1 || Boolean(page.nextContinuationToken);
        return more ? { items, nextToken: encodeNextToken(startAfter) } : { items };
      }
    }
    if (!page.nextContinuationToken || page.keys.length === 0) return { items };
    if (scanned >= LIST_SCAN_LIMIT) return { items, nextToken: encodeNextToken(startAfter!) };
  }
}
