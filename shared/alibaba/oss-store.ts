/**
 * The ObjectStore port on one private OSS bucket, through ali-oss 6.x with V4 signatures. Every write is private
 * and encrypted at rest (AES256); create-only writes use `x-oss-forbid-overwrite`. ali-oss never retries here:
 * failures reach the caller as `ObjectStoreError` with OSS's code and HTTP status, and the caller decides.
 */
import type OSS from 'ali-oss';
import { ObjectExistsError, type ObjectListing, type ObjectStore } from '../domain/ports.js';
import { cjsDefault } from './cjs.js';
import { toCredentialSource, type CredentialInput } from './credentials.js';
import type { AlibabaConfig } from '../config/alibaba.js';

export interface OssStoreConfig {
  /** `https://oss-cn-hangzhou.aliyuncs.com`, or `http://localhost:PORT` for the emulator. */
  endpoint: string;
  bucket: string;
  /** Asked before every operation: a long-lived client signs with the current invocation's keys (D10). */
  credentials: CredentialInput;
  /** Links signed with STS keys are refused beyond this (a link dies with its token); default: the OSS maximum. */
  stsLinkMaxSeconds?: number;
  /** `cn-hangzhou` (an `oss-` prefix is accepted); V4 signatures are scoped to it. */
  region: string;
  /** Path-style addressing (`/bucket/key`), needed for a `localhost` endpoint. Defaults to true for localhost. */
  local?: boolean;
  timeoutMs?: number;
}

/** An OSS failure other than "exists" or "not found": `code` is OSS's (or `RequestTimeout` / `NetworkError`). */
export class ObjectStoreError extends Error {
  constructor(
    readonly code: string,
    readonly status: number | undefined,
    message: string,
    readonly requestId?: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'ObjectStoreError';
  }
}

let ossModule: Promise<typeof OSS> | undefined;

/**
 * ali-oss (with urllib, xml2js, iconv-lite, lodash) is the largest part of a function; it is loaded by the first
 * OSS operation, not at cold start, so a path that never touches the bucket (a health check) does not pay for it.
 */
function loadOss(): Promise<typeof OSS> {
  ossModule ??= import('ali-oss').then((ns) => cjsDefault<typeof OSS>(ns));
  return ossModule;
}

/** OSS accepts presigned V4 links valid for 1 s to 7 days. */
const MAX_LINK_SECONDS = 604800;
/** Attachment file names we produce ourselves (`client.p12`, `bundle.zip`): nothing that needs quoting. */
const SAFE_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface OssError {
  name?: string;
  code?: string;
  status?: number;
  requestId?: string;
  message?: string;
}

function toStoreError(err: unknown): ObjectStoreError {
  const e = (err ?? {}) as OssError;
  const status = typeof e.status === 'number' && e.status > 0 ? e.status : undefined;
  let code = e.code;
  if (!status) {
    // ali-oss reports transport failures with status -1 (network) / -2 (timeout) or a timeout error name.
    code = /timeout/i.test(`${e.name} ${e.code}`) || e.status === -2 ? 'RequestTimeout' : 'NetworkError';
  }
  // ali-oss hangs the whole request on its errors (`params.content`: the object body, which may be a sealed key);
  // the cause keeps only what explains the failure.
  const cause = Object.assign(new Error(String(e.message ?? '')), {
    name: e.name ?? 'Error',
    code: e.code,
    status: e.status,
    requestId: e.requestId,
  });
  return new ObjectStoreError(
    code ?? 'UnknownError',
    status,
    `OSS request failed: ${code ?? e.name ?? 'error'}`,
    e.requestId,
    cause,
  );
}

function isCode(err: unknown, code: string): boolean {
  return (err as OssError | undefined)?.code === code;
}

export function createOssObjectStore(config: OssStoreConfig): ObjectStore {
  const local = config.local ?? /^(https?:\/\/)?(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(config.endpoint);
  // ali-oss refuses to presign for an IP endpoint and moves the bucket into the Host header there; the emulator
  // listens on 127.0.0.1, which `localhost` names, so a loopback IP is addressed by that name instead.
  const endpoint = local ? config.endpoint.replace('//127.0.0.1', '//localhost') : config.endpoint;
  const source = toCredentialSource(config.credentials);
  const base: OSS.Options & { sldEnable: boolean; retryMax: number } = {
    endpoint,
    bucket: config.bucket,
    region: `oss-${config.region.replace(/^oss-/, '')}`,
    accessKeyId: '',
    accessKeySecret: '',
    secure: endpoint.startsWith('https://'),
    sldEnable: local,
    cname: false,
    authorizationV4: true,
    timeout: config.timeoutMs ?? 10_000,
    retryMax: 0,
  };
  // One ali-oss client per key pair: when FC hands an invocation new keys, the next call builds a client with them.
  let cached: { fingerprint: string; client: OSS; sts: boolean } | undefined;
  const current = async () => {
    const OssClient = await loadOss();
    const c = source.current();
    const fingerprint = `${c.accessKeyId}\n${c.securityToken ?? ''}`;
    if (cached?.fingerprint !== fingerprint) {
      const client = new OssClient({
        ...base,
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        stsToken: c.securityToken,
        // ali-oss warns on stdout about a token without a refresh interval; keys are replaced per invocation
        // (above), so setting the interval (only used with a refresh callback) just silences that warning.
        ...(c.securityToken ? { refreshSTSTokenInterval: 300_000 } : {}),
      } as OSS.Options);
      cached = { fingerprint, client, sts: Boolean(c.securityToken) };
    }
    return cached;
  };

  return {
    async put(key, body, putOptions = {}) {
      const headers: Record<string, string> = {
        'x-oss-object-acl': 'private',
        'x-oss-server-side-encryption': 'AES256',
        ...(putOptions.ifAbsent ? { 'x-oss-forbid-overwrite': 'true' } : {}),
        ...(putOptions.contentType ? { 'Content-Type': putOptions.contentType } : {}),
      };
      try {
        // A string body would be taken for a file path by ali-oss: always hand it bytes.
        await (await current()).client.put(key, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, {
          headers,
        });
      } catch (err) {
        if (putOptions.ifAbsent && isCode(err, 'FileAlreadyExists')) throw new ObjectExistsError(key);
        throw toStoreError(err);
      }
    },

    async get(key) {
      try {
        const result = await (await current()).client.get(key);
        return Buffer.isBuffer(result.content) ? result.content : Buffer.from(result.content ?? '');
      } catch (err) {
        if (isCode(err, 'NoSuchKey')) return null;
        throw toStoreError(err);
      }
    },

    async exists(key) {
      try {
        await (await current()).client.head(key);
        return true;
      } catch (err) {
        if (isCode(err, 'NoSuchKey')) return false;
        throw toStoreError(err);
      }
    },

    async delete(key) {
      try {
        await (await current()).client.delete(key);
      } catch (err) {
        throw toStoreError(err);
      }
    },

    async list(listOptions): Promise<ObjectListing> {
      // Empty values are left out: ali-oss would send `x=` but sign it differently under V4.
      const query: OSS.ListV2ObjectsQuery = { 'max-keys': listOptions.maxKeys ?? 100 };
      if (listOptions.prefix) query.prefix = listOptions.prefix;
      if (listOptions.delimiter) query.delimiter = listOptions.delimiter;
      if (listOptions.startAfter) query['start-after'] = listOptions.startAfter;
      if (listOptions.continuationToken) query['continuation-token'] = listOptions.continuationToken;
      try {
        const result = await (await current()).client.listV2(query, {});
        return {
          keys: (result.objects ?? []).map((o) => o.name),
          etags: (result.objects ?? []).map((o) => String(o.etag ?? '').replace(/"/g, '')),
          commonPrefixes: result.prefixes ?? [],
          ...(result.isTruncated && result.nextContinuationToken
            ? { nextContinuationToken: result.nextContinuationToken }
            : {}),
        };
      } catch (err) {
        throw toStoreError(err);
      }
    },

    async signedGetUrl(key, { expiresInSeconds, filename }) {
      if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_LINK_SECONDS) {
        throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_LINK_SECONDS}`);
      }
      if (!SAFE_FILENAME.test(filename)) throw new RangeError('filename must be a plain file name ([A-Za-z0-9._-])');
      const { client, sts } = await current();
      // A link signed with STS keys dies with the token that signed it: never promise one longer (D10).
      const stsMax = config.stsLinkMaxSeconds ?? MAX_LINK_SECONDS;
      if (sts && expiresInSeconds > stsMax)
        throw new RangeError(`links signed with STS keys may be valid for at most ${stsMax} s`);
      return client.signatureUrlV4(
        'GET',
        expiresInSeconds,
        { headers: {}, queries: { 'response-content-disposition': `attachment; filename="${filename}"` } },
        key,
      );
    },
  };
}

/** The functions' bucket, from their Alibaba config (every function builds its store this way). */
export function createConfiguredObjectStore(alibaba: AlibabaConfig, timeoutMs?: number): ObjectStore {
  return createOssObjectStore({
    endpoint: alibaba.oss.endpoint,
    bucket: alibaba.oss.bucket,
    credentials: alibaba.credentials,
    region: alibaba.region,
    local: alibaba.oss.local,
    timeoutMs,
    stsLinkMaxSeconds: alibaba.signedLinkMaxSeconds,
  });
}
