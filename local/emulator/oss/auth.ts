/**
 * Checks the four ways ali-oss 6.x authenticates an OSS request, byte for byte as ali-oss builds them
 * (node_modules/ali-oss/lib/common/signUtils.js):
 *  - V1 header `Authorization: OSS <AccessKeyId>:<base64 HMAC-SHA1>`;
 *  - V4 header `Authorization: OSS4-HMAC-SHA256 Credential=<ak>/<date>/<region>/oss/aliyun_v4_request,...,Signature=<hex>`;
 *  - V1 presigned query `OSSAccessKeyId`, `Expires`, `Signature`;
 *  - V4 presigned query `x-oss-signature-version=OSS4-HMAC-SHA256`, `x-oss-credential`, `x-oss-date`,
 *    `x-oss-expires`, `x-oss-signature`.
 * Failures throw `OssError` with OSS's codes; messages never contain a signature or a secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { OssError, OssErrors } from './errors.js';

export interface OssCredential {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests with this key must carry exactly this STS token. */
  securityToken?: string;
}

/** One query parameter as it was on the wire, decoded; `value` is null when the parameter had no `=`. */
export interface QueryParam {
  name: string;
  value: string | null;
}

export interface OssRequestToSign {
  method: string;
  bucket: string;
  /** Decoded object key; '' for a bucket-level request. */
  key: string;
  query: QueryParam[];
  headers: IncomingHttpHeaders;
}

export type AuthKind = 'v1-header' | 'v4-header' | 'v1-query' | 'v4-query';

export interface AuthOptions {
  credentials: ReadonlyMap<string, OssCredential>;
  now: number;
  /** When set, a V4 signature must be scoped to this region (e.g. `cn-hangzhou`). */
  region?: string;
}

const MAX_SKEW_MS = 15 * 60 * 1000;
const V4_ALGORITHM = 'OSS4-HMAC-SHA256';

/** The sub-resources OSS includes in a V1 canonical resource (the list the OSS SDKs sign). */
const V1_SIGNED_SUBRESOURCES = new Set([
  'acl',
  'uploads',
  'location',
  'cors',
  'logging',
  'website',
  'referer',
  'lifecycle',
  'delete',
  'append',
  'tagging',
  'objectMeta',
  'uploadId',
  'partNumber',
  'security-token',
  'position',
  'img',
  'style',
  'styleName',
  'replication',
  'replicationProgress',
  'replicationLocation',
  'cname',
  'bucketInfo',
  'comp',
  'qos',
  'live',
  'status',
  'vod',
  'startTime',
  'endTime',
  'symlink',
  'x-oss-process',
  'response-content-type',
  'x-oss-traffic-limit',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'udf',
  'udfName',
  'udfImage',
  'udfId',
  'udfImageDesc',
  'udfApplication',
  'udfApplicationLog',
  'restore',
  'callback',
  'callback-var',
  'qosInfo',
  'policy',
  'stat',
  'encryption',
  'versions',
  'versioning',
  'versionId',
  'requestPayment',
  'x-oss-request-payer',
  'sequential',
  'inventory',
  'inventoryId',
  'continuation-token',
  'asyncFetch',
  'worm',
  'wormId',
  'wormExtend',
  'withHashContext',
  'x-oss-enable-md5',
  'x-oss-enable-sha1',
  'x-oss-enable-sha256',
  'x-oss-hash-ctx',
  'x-oss-md5-ctx',
  'transferAcceleration',
  'regionList',
  'cloudboxes',
  'x-oss-ac-source-ip',
  'x-oss-ac-subnet-mask',
  'x-oss-ac-vpc-id',
  'x-oss-ac-forward-allow',
  'metaQuery',
  'resourceGroup',
  'rtc',
  'accessPoint',
  'accessPointPolicy',
  'httpsConfig',
]);

/** Authenticates the request or throws; returns which access key signed it. */
export function authenticate(request: OssRequestToSign, options: AuthOptions): { accessKeyId: string; kind: AuthKind } {
  const authorization = header(request.headers, 'authorization');
  const param = (name: string) => request.query.find((p) => p.name === name)?.value ?? undefined;
  if (authorization?.startsWith(`${V4_ALGORITHM} `))
    return { accessKeyId: verifyV4Header(request, authorization, options), kind: 'v4-header' };
  if (authorization?.startsWith('OSS '))
    return { accessKeyId: verifyV1Header(request, authorization, options), kind: 'v1-header' };
  if (param('x-oss-signature-version') === V4_ALGORITHM)
    return { accessKeyId: verifyV4Query(request, options), kind: 'v4-query' };
  if (param('OSSAccessKeyId') !== undefined || param('Signature') !== undefined) {
    return { accessKeyId: verifyV1Query(request, options), kind: 'v1-query' };
  }
  if (authorization) throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization');
  throw OssErrors.anonymousDenied();
}

function verifyV1Header(request: OssRequestToSign, authorization: string, options: AuthOptions): string {
  const match = /^OSS ([^:\s]+):(\S+)$/.exec(authorization);
  if (!match) throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization');
  const [, accessKeyId, signature] = match;
  const credential = lookup(options, accessKeyId);
  const date = header(request.headers, 'x-oss-date') ?? header(request.headers, 'date');
  checkSkew(date ? Date.parse(date) : NaN, date ?? '', options.now);
  checkToken(credential, header(request.headers, 'x-oss-security-token'));
  const expected = hmacSha1(credential.accessKeySecret, v1StringToSign(request, date ?? ''));
  if (!safeEqual(expected, signature)) throw OssErrors.signatureDoesNotMatch(accessKeyId);
  return accessKeyId;
}

function verifyV1Query(request: OssRequestToSign, options: AuthOptions): string {
  const get = (name: string) => request.query.find((p) => p.name === name)?.value ?? '';
  const accessKeyId = get('OSSAccessKeyId');
  const expires = get('Expires');
  const signature = get('Signature');
  if (!accessKeyId || !signature || !/^\d+$/.test(expires))
    throw OssErrors.invalidArgument('OSSAccessKeyId, Expires and Signature are required.');
  const credential = lookup(options, accessKeyId);
  if (Number(expires) * 1000 < options.now)
    throw OssErrors.expired(new Date(Number(expires) * 1000).toISOString(), new Date(options.now).toISOString());
  checkToken(credential, request.query.find((p) => p.name === 'security-token')?.value ?? undefined);
  const expected = hmacSha1(credential.accessKeySecret, v1StringToSign(request, expires));
  if (!safeEqual(expected, signature)) throw OssErrors.signatureDoesNotMatch(accessKeyId);
  return accessKeyId;
}

/** VERB, Content-MD5, Content-Type, date (or Expires), x-oss-* headers, then /bucket/key?signed-sub-resources. */
function v1StringToSign(request: OssRequestToSign, dateOrExpires: string): string {
  const ossHeaders = Object.keys(request.headers)
    .filter((k) => k.startsWith('x-oss-'))
    .sort()
    .map((k) => `${k}:${header(request.headers, k)!.trim()}`);
  const subresources = request.query
    .filter((p) => V1_SIGNED_SUBRESOURCES.has(p.name))
    .sort((a, b) => compare(a.name, b.name))
    .map((p) => (p.value ? `${p.name}=${p.value}` : p.name));
  const resource = `/${request.bucket}/${request.key}${subresources.length ? `?${subresources.join('&')}` : ''}`;
  return [
    request.method.toUpperCase(),
    header(request.headers, 'content-md5') ?? '',
    header(request.headers, 'content-type') ?? '',
    dateOrExpires,
    ...ossHeaders,
    resource,
  ].join('\n');
}

interface V4Scope {
  accessKeyId: string;
  date: string;
  region: string;
  product: string;
}

function parseCredential(value: string): V4Scope {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aliyun_v4_request' || !/^\d{8}$/.test(parts[1])) {
    throw OssErrors.invalidArgument('Credential is invalid.', 'x-oss-credential');
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], product: parts[3] };
}

function verifyV4Header(request: OssRequestToSign, authorization: string, options: AuthOptions): string {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V4_ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const credentialField = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credentialField || !signature)
    throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization');
  const scope = parseCredential(credentialField);
  const credential = lookup(options, scope.accessKeyId);
  const date = header(request.headers, 'x-oss-date') ?? '';
  checkSkew(parseV4Date(date), date, options.now);
  checkScope(scope, date, options);
  checkToken(credential, header(request.headers, 'x-oss-security-token'));
  const additional = splitAdditional(fields.get('AdditionalHeaders'));
  const payloadHash = header(request.headers, 'x-oss-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  const ok = v4Candidates(request, request.query, additional, payloadHash).some((canonical) =>
    safeEqual(v4Signature(credential.accessKeySecret, scope, date, canonical), signature),
  );
  if (!ok) throw OssErrors.signatureDoesNotMatch(scope.accessKeyId);
  return scope.accessKeyId;
}

function verifyV4Query(request: OssRequestToSign, options: AuthOptions): string {
  const get = (name: string) => request.query.find((p) => p.name === name)?.value ?? undefined;
  const signature = get('x-oss-signature');
  const credentialField = get('x-oss-credential');
  const date = get('x-oss-date') ?? '';
  const expires = get('x-oss-expires') ?? '';
  if (!signature || !credentialField)
    throw OssErrors.invalidArgument('x-oss-credential and x-oss-signature are required.');
  const signedAt = parseV4Date(date);
  if (Number.isNaN(signedAt)) throw OssErrors.invalidArgument('x-oss-date is invalid.', 'x-oss-date', date);
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > 604800) {
    throw OssErrors.invalidArgument('x-oss-expires must be between 1 and 604800 seconds.', 'x-oss-expires', expires);
  }
  const scope = parseCredential(credentialField);
  const credential = lookup(options, scope.accessKeyId);
  const expiresAt = signedAt + Number(expires) * 1000;
  if (expiresAt < options.now)
    throw OssErrors.expired(new Date(expiresAt).toISOString(), new Date(options.now).toISOString());
  checkScope(scope, date, options);
  checkToken(credential, get('x-oss-security-token'));
  const additional = splitAdditional(get('x-oss-additional-headers'));
  const signed = request.query.filter((p) => p.name !== 'x-oss-signature');
  const ok = v4Candidates(request, signed, additional, 'UNSIGNED-PAYLOAD').some((canonical) =>
    safeEqual(v4Signature(credential.accessKeySecret, scope, date, canonical), signature),
  );
  if (!ok) throw OssErrors.signatureDoesNotMatch(scope.accessKeyId);
  return scope.accessKeyId;
}

/**
 * ali-oss signs a sub-resource with an empty value as a bare name (`acl`) but sends it as `acl=`, while an
 * empty query value (`prefix=`) is signed as sent; the wire cannot tell them apart, so both readings are tried.
 */
function v4Candidates(
  request: OssRequestToSign,
  query: QueryParam[],
  additional: string[],
  payloadHash: string,
): string[] {
  const asSent = v4CanonicalRequest(request, query, additional, payloadHash);
  if (!query.some((p) => p.value === '')) return [asSent];
  const bare = query.map((p) => (p.value === '' ? { name: p.name, value: null } : p));
  return [asSent, v4CanonicalRequest(request, bare, additional, payloadHash)];
}

function v4CanonicalRequest(
  request: OssRequestToSign,
  query: QueryParam[],
  additional: string[],
  payloadHash: string,
): string {
  const uri = encodeRfc3986(`/${request.bucket}/${request.key}`).replace(/%2F/g, '/');
  const canonicalQuery = [...query]
    .sort((a, b) => compare(a.name, b.name))
    .map((p) => (p.value === null ? encodeRfc3986(p.name) : `${encodeRfc3986(p.name)}=${encodeRfc3986(p.value)}`))
    .join('&');
  const names = new Set(additional);
  for (const k of Object.keys(request.headers)) {
    if (k === 'content-type' || k === 'content-md5' || k.startsWith('x-oss-')) names.add(k);
  }
  const canonicalHeaders = [...names]
    .sort()
    .map((k) => `${k}:${(header(request.headers, k) ?? '').trim()}\n`)
    .join('');
  return [request.method.toUpperCase(), uri, canonicalQuery, canonicalHeaders, additional.join(';'), payloadHash].join(
    '\n',
  );
}

function v4Signature(secret: string, scope: V4Scope, date: string, canonicalRequest: string): string {
  const stringToSign = [
    V4_ALGORITHM,
    date,
    `${scope.date}/${scope.region}/${scope.product}/aliyun_v4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `aliyun_v4${secret}`).update(scope.date).digest();
  key = createHmac('sha256', key).update(scope.region).digest();
  key = createHmac('sha256', key).update(scope.product).digest();
  key = createHmac('sha256', key).update('aliyun_v4_request').digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function checkScope(scope: V4Scope, date: string, options: AuthOptions): void {
  if (scope.product !== 'oss' || date.slice(0, 8) !== scope.date)
    throw OssErrors.signatureDoesNotMatch(scope.accessKeyId);
  if (options.region && scope.region !== options.region) {
    throw OssErrors.invalidArgument(
      `Invalid signing region in Authorization header: ${scope.region}.`,
      'Authorization',
    );
  }
}

function splitAdditional(value: string | undefined): string[] {
  return value
    ? value
        .split(';')
        .map((v) => v.trim().toLowerCase())
        .filter(Boolean)
        .sort()
    : [];
}

function lookup(options: AuthOptions, accessKeyId: string): OssCredential {
  const credential = options.credentials.get(accessKeyId);
  if (!credential) throw OssErrors.invalidAccessKeyId(accessKeyId);
  return credential;
}

function checkToken(credential: OssCredential, token: string | undefined): void {
  if (!credential.securityToken && !token) return;
  if (credential.securityToken && token && safeEqual(credential.securityToken, token)) return;
  throw OssErrors.invalidSecurityToken();
}

function checkSkew(requestTime: number, raw: string, now: number): void {
  if (Number.isNaN(requestTime)) throw new OssError(403, 'AccessDenied', 'OSS authentication requires a valid Date.');
  if (Math.abs(requestTime - now) > MAX_SKEW_MS) throw OssErrors.timeTooSkewed(raw, new Date(now).toUTCString());
}

/** `20240102T030405Z` -> epoch ms, NaN when malformed. */
function parseV4Date(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/** encodeURIComponent plus `!'()*`, as ali-oss's encodeString. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function hmacSha1(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
