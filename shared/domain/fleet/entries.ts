/**
 * Why: the few facts of one certificate that the fleet summary needs (its names, so a token's name policy can be
 * applied; its dates and renewal state), kept per tenant in one object so a console page never reads every record.
 * Pure: the record -> entry step and the stored document's encoding (rows under named columns, to stay small).
 */
import type { CertificateStatus, ClientCertificate, SubjectAltNames } from '../client-certificate.js';

export interface FleetEntry {
  id: string;
  /** The record object's ETag when it was read: an unchanged ETag means the entry is still right. */
  etag: string;
  commonName: string;
  sans: SubjectAltNames;
  /** As stored (`EXPIRED` is also derived from `notAfter` when the summary is made). */
  status: CertificateStatus;
  /** Epoch milliseconds, whole seconds. */
  notAfter: number;
  renewAt: number;
  nextAttemptAt?: number;
  failedAttempts: number;
  autoRenew: boolean;
}

/** Whole seconds, as stored: an entry read back equals the one written. */
const at = (iso: string) => Math.floor(Date.parse(iso) / 1000) * 1000;

export function entryOf(record: ClientCertificate, etag: string): FleetEntry {
  return {
    id: record.id,
    etag,
    commonName: record.commonName,
    sans: record.sans,
    status: record.status,
    notAfter: at(record.current.notAfter),
    renewAt: at(record.renewal.renewAt),
    ...(record.renewal.nextAttemptAt ? { nextAttemptAt: at(record.renewal.nextAttemptAt) } : {}),
    failedAttempts: record.renewal.failedAttempts ?? 0,
    autoRenew: record.autoRenew,
  };
}

/** The stored form: `fleet/tenants/<tenant>/entries.json`. Times in epoch seconds; SANs only when there are any. */
export interface FleetEntriesDocument {
  v: 1;
  tenant: string;
  columns: typeof ENTRY_COLUMNS;
  rows: EntryRow[];
}

const ENTRY_COLUMNS = [
  'id',
  'etag',
  'commonName',
  'sans',
  'status',
  'notAfter',
  'renewAt',
  'nextAttemptAt',
  'failedAttempts',
  'autoRenew',
] as const;

type EntryRow = [
  string,
  string,
  string,
  SubjectAltNames | 0,
  CertificateStatus,
  number,
  number,
  number | 0,
  number,
  0 | 1,
];

const seconds = (ms: number) => Math.floor(ms / 1000);
const hasSans = (s: SubjectAltNames) => s.dns.length + s.uri.length + s.email.length + s.ip.length > 0;
const NO_SANS: SubjectAltNames = { dns: [], uri: [], email: [], ip: [] };

export function encodeEntries(tenant: string, entries: Iterable<FleetEntry>): FleetEntriesDocument {
  const rows: EntryRow[] = [];
  for (const e of entries) {
    rows.push([
      e.id,
      e.etag,
      e.commonName,
      hasSans(e.sans) ? e.sans : 0,
      e.status,
      seconds(e.notAfter),
      seconds(e.renewAt),
      e.nextAttemptAt !== undefined ? seconds(e.nextAttemptAt) : 0,
      e.failedAttempts,
      e.autoRenew ? 1 : 0,
    ]);
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { v: 1, tenant, columns: ENTRY_COLUMNS, rows };
}

/** The entries of a stored document; `undefined` when it is not one this code wrote (then it is rebuilt). */
export function decodeEntries(doc: unknown): FleetEntry[] | undefined {
  const d = doc as Partial<FleetEntriesDocument> | undefined;
  if (!d || d.v !== 1 || !Array.isArray(d.rows) || JSON.stringify(d.columns) !== JSON.stringify(ENTRY_COLUMNS))
    return undefined;
  const out: FleetEntry[] = [];
  for (const row of d.rows) {
    if (!Array.isArray(row) || row.length !== ENTRY_COLUMNS.length || typeof row[0] !== 'string') return undefined;
    const [id, etag, commonName, sans, status, notAfter, renewAt, nextAttemptAt, failedAttempts, autoRenew] = row;
    out.push({
      id,
      etag,
      commonName,
      sans: sans === 0 ? NO_SANS : sans,
      status,
      notAfter: notAfter * 1000,
      renewAt: renewAt * 1000,
      ...(nextAttemptAt ? { nextAttemptAt: nextAttemptAt * 1000 } : {}),
      failedAttempts,
      autoRenew: autoRenew === 1,
    });
  }
  return out;
}
