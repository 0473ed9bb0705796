/**
 * The five OSS operations the project uses, as functions from a parsed request to an answer. No HTTP here:
 * the server parses, authenticates and writes; these decide.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BucketStore, ObjectMeta, PutAttributes } from './bucket-store.js';
import { OssErrors } from './errors.js';
import type { QueryParam } from './auth.js';
import { listObjectsV2Xml } from './xml.js';

export type OssAction = 'PutObject' | 'GetObject' | 'HeadObject' | 'DeleteObject' | 'ListObjectsV2';

export interface OssAnswer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export interface OperationRequest {
  store: BucketStore;
  key: string;
  query: QueryParam[];
  headers: IncomingHttpHeaders;
  body: Buffer;
  ownerId: string;
}

const OBJECT_ACLS = new Set(['private', 'public-read', 'public-read-write', 'default']);
const SSE_ALGORITHMS = new Set(['AES256', 'KMS', 'SM4']);
/** Sub-resources that turn an object request into another API (ACLs, tagging, multipart...) not emulated here. */
const UNSUPPORTED_OBJECT_SUBRESOURCES = new Set([
  'acl',
  'tagging',
  'symlink',
  'uploads',
  'uploadId',
  'partNumber',
  'append',
  'position',
  'restore',
  'objectMeta',
  'x-oss-process',
  'versionId',
  'callback',
  'x-oss-async-process',
]);
/** GetObject query parameters that override a response header (only honoured on signed requests, as all are here). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};
const MAX_KEY_BYTES = 1023;

/** Which operation a request is, or an OSS error for what the emulator does not serve. */
export function actionFor(method: string, key: string, query: QueryParam[]): OssAction {
  if (key === '') {
    if (method === 'GET' && query.some((p) => p.name === 'list-type' && p.value === '2')) return 'ListObjectsV2';
    if (method === 'GET') throw OssErrors.notImplemented('ListObjects (version 1); use list-type=2');
    throw OssErrors.notImplemented(`${method} on a bucket`);
  }
  const unsupported = query.find((p) => UNSUPPORTED_OBJECT_SUBRESOURCES.has(p.name));
  if (unsupported) throw OssErrors.notImplemented(`The "${unsupported.name}" sub-resource`);
  switch (method) {
    case 'PUT':
      return 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    case 'POST':
      throw OssErrors.notImplemented('POST on an object');
    default:
      throw OssErrors.methodNotAllowed();
  }
}

export function checkObjectKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES || key.startsWith('/') || key.startsWith('\\'))
    throw OssErrors.invalidObjectName();
}

export function putObject(r: OperationRequest): OssAnswer {
  checkObjectKey(r.key);
  const h = (name: string) => single(r.headers[name]);
  const md5 = createHash('md5').update(r.body).digest('base64');
  const contentMd5 = h('content-md5');
  if (contentMd5 !== undefined && contentMd5 !== md5) throw OssErrors.invalidDigest();
  const acl = h('x-oss-object-acl');
  if (acl !== undefined && !OBJECT_ACLS.has(acl))
    throw OssErrors.invalidArgument('no such object access control exists', 'x-oss-object-acl', acl);
  const sse = h('x-oss-server-side-encryption');
  if (sse !== undefined && !SSE_ALGORITHMS.has(sse)) throw OssErrors.invalidEncryption();
  const sseKeyId = h('x-oss-server-side-encryption-key-id');
  if (sseKeyId !== undefined && sse !== 'KMS')
    throw OssErrors.invalidArgument(
      'x-oss-server-side-encryption-key-id needs KMS encryption.',
      'x-oss-server-side-encryption-key-id',
    );
  // Checked and written in the same synchronous step: two racing create-only writes cannot both win.
  if (h('x-oss-forbid-overwrite')?.toLowerCase() === 'true' && r.store.has(r.key)) throw OssErrors.fileAlreadyExists();

  const userMeta: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    if (name.startsWith('x-oss-meta-') && value !== undefined)
      userMeta[name.slice('x-oss-meta-'.length)] = single(value)!;
  }
  const attributes: PutAttributes = {
    contentType: h('content-type') ?? 'application/octet-stream',
    ...(acl ? { acl } : {}),
    ...(sse ? { serverSideEncryption: sse } : {}),
    ...(sseKeyId ? { serverSideEncryptionKeyId: sseKeyId } : {}),
    ...(h('content-disposition') ? { contentDisposition: h('content-disposition') } : {}),
    ...(h('content-encoding') ? { contentEncoding: h('content-encoding') } : {}),
    ...(h('cache-control') ? { cacheControl: h('cache-control') } : {}),
    ...(h('expires') ? { expires: h('expires') } : {}),
    ...(Object.keys(userMeta).length ? { userMeta } : {}),
  };
  const meta = r.store.put(r.key, r.body, attributes);
  return {
    status: 200,
    headers: { ETag: `"${meta.etag}"`, 'Content-MD5': md5, ...(sse ? { 'x-oss-server-side-encryption': sse } : {}) },
  };
}

export function getObject(r: OperationRequest): OssAnswer {
  checkObjectKey(r.key);
  const found = r.store.get(r.key);
  if (!found) throw OssErrors.noSuchKey(r.key);
  const headers = objectHeaders(found.meta);
  for (const p of r.query) {
    const header = RESPONSE_OVERRIDES[p.name];
    if (header && p.value) headers[header] = p.value;
  }
  return { status: 200, headers, body: found.body };
}

export function headObject(r: OperationRequest): OssAnswer {
  checkObjectKey(r.key);
  const meta = r.store.head(r.key);
  if (!meta) throw OssErrors.noSuchKey(r.key);
  return { status: 200, headers: objectHeaders(meta) };
}

export function deleteObject(r: OperationRequest): OssAnswer {
  checkObjectKey(r.key);
  r.store.delete(r.key); // 204 whether or not it existed, as OSS does
  return { status: 204, headers: {} };
}

export function listObjectsV2(r: OperationRequest): OssAnswer {
  const param = (name: string) => r.query.find((p) => p.name === name)?.value ?? undefined;
  const prefix = param('prefix') ?? '';
  const delimiter = param('delimiter') ?? '';
  const maxKeysText = param('max-keys') ?? '100';
  const maxKeys = Number(maxKeysText);
  if (!/^\d+$/.test(maxKeysText) || maxKeys < 1 || maxKeys > 1000) {
    throw OssErrors.invalidArgument(
      'Argument max-keys must be an integer between 1 and 1000.',
      'max-keys',
      maxKeysText,
    );
  }
  const encodingType = param('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url')
    throw OssErrors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  const startAfter = param('start-after') || undefined;
  const continuationToken = param('continuation-token') || undefined;
  const page = r.store.list({
    prefix,
    delimiter,
    maxKeys,
    startAfter,
    resumeAfter: continuationToken ? decodeContinuationToken(continuationToken) : undefined,
  });
  const xml = listObjectsV2Xml({
    bucket: r.store.name,
    prefix,
    delimiter,
    maxKeys,
    startAfter,
    continuationToken,
    encodingType: encodingType as 'url' | undefined,
    truncated: page.truncated,
    nextContinuationToken: page.last ? encodeContinuationToken(page.last) : undefined,
    objects: page.keys.map((key, i) => ({ key, meta: page.metas[i] })),
    commonPrefixes: page.commonPrefixes,
    fetchOwner: param('fetch-owner') === 'true',
    ownerId: r.ownerId,
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: xml };
}

/** Opaque to clients; says where the previous page stopped (a key, or every key under a common prefix). */
function encodeContinuationToken(last: { key: string } | { commonPrefix: string }): string {
  return Buffer.from('key' in last ? `k${last.key}` : `p${last.commonPrefix}`, 'utf8').toString('base64url');
}

function decodeContinuationToken(token: string): { key: string } | { commonPrefix: string } {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (text.startsWith('k') && text.length > 1) return { key: text.slice(1) };
  if (text.startsWith('p') && text.length > 1) return { commonPrefix: text.slice(1) };
  throw OssErrors.invalidArgument('The continuation token provided is incorrect.', 'continuation-token', token);
}

function objectHeaders(meta: ObjectMeta): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': meta.contentType,
    'Content-Length': String(meta.size),
    ETag: `"${meta.etag}"`,
    'Last-Modified': new Date(meta.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': 'Normal',
    'x-oss-storage-class': 'Standard',
  };
  if (meta.serverSideEncryption) headers['x-oss-server-side-encryption'] = meta.serverSideEncryption;
  if (meta.serverSideEncryptionKeyId) headers['x-oss-server-side-encryption-key-id'] = meta.serverSideEncryptionKeyId;
  if (meta.contentDisposition) headers['Content-Disposition'] = meta.contentDisposition;
  if (meta.contentEncoding) headers['Content-Encoding'] = meta.contentEncoding;
  if (meta.cacheControl) headers['Cache-Control'] = meta.cacheControl;
  if (meta.expires) headers.Expires = meta.expires;
  for (const [name, value] of Object.entries(meta.userMeta ?? {})) headers[`x-oss-meta-${name}`] = value;
  return headers;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
