/**
 * The emulated OSS endpoint: enough of the OSS REST API for ali-oss 6.x on `http://localhost:PORT` with path-style
 * addressing (`sldEnable: true`), bound to 127.0.0.1 only. Every request is authenticated (V1 or V4 header,
 * V1 or V4 presigned query), goes through the shared FaultInjector under its OSS action name, and is answered
 * with OSS's own headers and XML.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { closeServer, keepIdleConnections, listen, PendingDelays, readBody } from '../../http-server.js';
import { applyFault, type ErrorFault } from '../fault-effects.js';
import type { FaultInjector } from '../faults.js';
import { createLogger, type Logger } from '../../../shared/log/index.js';
import { checkOssRequest, checkXmlAgainst, rootContent } from '../contracts/check-oss.js';
import { contractFailure } from '../contracts/enforce.js';
import { contractFor } from '../contracts/load.js';
import { authenticate, type OssCredential, type QueryParam } from './auth.js';
import { BucketStore, type ObjectMeta, type PutAttributes } from './bucket-store.js';
import { OssError, OssErrors } from './errors.js';
import {
  actionFor,
  checkObjectKey,
  deleteObject,
  getObject,
  headObject,
  listObjectsV2,
  putObject,
  type OssAction,
  type OssAnswer,
  type OperationRequest,
} from './operations.js';
import { errorXml } from './xml.js';

export interface OssServerOptions {
  /** This server's own directory; each bucket gets a sub-directory named after it. */
  dataDir: string;
  faults: FaultInjector;
  credentials: OssCredential[];
  buckets: string[];
  /** 0 or absent: a free port. */
  port?: number;
  /** When set, V4 signatures must be scoped to this region (e.g. `cn-hangzhou`). */
  region?: string;
  /** Refuse requests and answers that break the OSS contracts (default true); false only logs them. */
  strictContracts?: boolean;
  /** Where non-strict contract findings are logged (default: the emulator's logger). */
  log?: Logger;
}

export interface OssServer {
  /** `http://localhost:PORT`: ali-oss refuses to presign for an IP endpoint, so the host name is `localhost`. */
  endpoint: string;
  port: number;
  /** Seeds an object without HTTP, signatures, faults or call counts (for benchmarks and fixtures). */
  putObjectDirect(bucket: string, key: string, body: Buffer | string, attributes?: Partial<PutAttributes>): void;
  getObjectMeta(bucket: string, key: string): ObjectMeta | undefined;
  objectCount(bucket: string, prefix?: string): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const OPERATIONS: Record<OssAction, (r: OperationRequest) => OssAnswer> = {
  PutObject: putObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  ListObjectsV2: listObjectsV2,
};

export async function startOssServer(opts: OssServerOptions): Promise<OssServer> {
  const stores = new Map<string, BucketStore>();
  for (const bucket of opts.buckets) {
    if (!BUCKET_NAME.test(bucket)) throw new Error(`invalid OSS bucket name: ${bucket}`);
    stores.set(bucket, BucketStore.open(bucket, path.join(opts.dataDir, bucket)));
  }
  const credentials = new Map(opts.credentials.map((c) => [c.accessKeyId, c]));
  const ownerId = '1' + randomBytes(7).readUIntBE(0, 6).toString().padStart(15, '0');
  const delays = new PendingDelays();
  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const method = req.method ?? 'GET';
    let hostId = hostName(req);
    res.on('error', () => undefined); // the client may be gone after an injected delay
    res.setHeader('x-oss-request-id', requestId);
    res.setHeader('Server', 'AliyunOSS');
    try {
      const target = parseTarget(req, stores);
      hostId = target.bucket ? `${target.bucket}.${hostName(req)}` : hostName(req);
      if (!target.bucket) throw OssErrors.notImplemented('ListBuckets');
      const action = actionFor(method, target.key, target.query);
      const body = await readRequestBody(req);

      // A delay beyond the client's timeout: the client gives up, but the request is still carried out, as a
      // real server may have done, so callers must cope with a write that "failed" yet happened.
      const faultEffects = {
        delays,
        closing: () => closing,
        toError: (f: ErrorFault) => new OssError(f.status, f.code, f.message ?? f.code),
      };
      if (!(await applyFault(opts.faults.onCall(action), req, faultEffects))) return;

      const store = stores.get(target.bucket);
      if (!store) throw OssErrors.noSuchBucket(target.bucket);
      authenticate(
        { method, bucket: target.bucket, key: target.key, query: target.query, headers: req.headers },
        { credentials, now: Date.now(), region: opts.region },
      );
      const contract = contractFor('oss', '2019-05-17', action)!;
      const enforce = { strict: opts.strictContracts !== false, log: opts.log ?? createLogger({ fn: 'emulator' }) };
      const refusal = contractFailure(
        contract,
        'request',
        checkOssRequest(contract, { headers: req.headers, query: target.query }),
        enforce,
      );
      if (refusal) throw new OssError(400, 'ContractViolation', refusal);
      const answer = OPERATIONS[action]({
        store,
        key: target.key,
        query: target.query,
        headers: req.headers,
        body,
        ownerId,
      });
      if (action === 'ListObjectsV2' && contract.response.body) {
        const xml = rootContent(String(answer.body ?? ''));
        const problem = contractFailure(contract, 'response', checkXmlAgainst(contract.response.body, xml), enforce);
        if (problem) throw new OssError(500, 'ContractViolation.Response', problem);
      }
      send(res, method, answer);
    } catch (err) {
      sendError(res, method, err, requestId, hostId);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  keepIdleConnections(server);
  const port = await listen(server, opts.port ?? 0);

  const storeOf = (bucket: string) => {
    const store = stores.get(bucket);
    if (!store) throw new Error(`no such emulated bucket: ${bucket}`);
    return store;
  };

  return {
    endpoint: `http://localhost:${port}`,
    port,
    putObjectDirect(bucket, key, body, attributes = {}) {
      checkObjectKey(key);
      storeOf(bucket).put(key, typeof body === 'string' ? Buffer.from(body) : body, {
        contentType: 'application/octet-stream',
        ...attributes,
      });
    },
    getObjectMeta(bucket, key) {
      const meta = storeOf(bucket).head(key);
      return meta ? structuredClone(meta) : undefined;
    },
    objectCount(bucket, prefix) {
      return storeOf(bucket).count(prefix);
    },
    async close() {
      closing = true;
      delays.releaseAll();
      await closeServer(server);
      for (const store of stores.values()) store.close();
    },
  };
}

interface Target {
  bucket: string;
  key: string;
  query: QueryParam[];
}

/**
 * Path style (`/bucket/key`) unless the Host's first label is a known bucket and the path does not start with
 * it: then it is virtual-hosted style (`bucket.localhost:PORT`, what ali-oss sends without `sldEnable`) and the
 * whole path is the key. (ali-oss with an IP endpoint sends `Host: bucket.oss-<region>.aliyuncs.com` in both
 * styles, hence the path check.)
 */
function parseTarget(req: IncomingMessage, stores: ReadonlyMap<string, BucketStore>): Target {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawPath = q >= 0 ? raw.slice(0, q) : raw;
  const query = parseQuery(q >= 0 ? raw.slice(q + 1) : '');
  const host = hostName(req);
  const firstLabel = host.includes('.') ? host.slice(0, host.indexOf('.')) : '';
  const decodedPath = decode(rawPath);
  const pathStyle = decodedPath === `/${firstLabel}` || decodedPath.startsWith(`/${firstLabel}/`);
  if (firstLabel && stores.has(firstLabel) && !pathStyle)
    return { bucket: firstLabel, key: decodedPath.slice(1), query };
  const rest = decodedPath.slice(1);
  const slash = rest.indexOf('/');
  return slash < 0
    ? { bucket: rest, key: '', query }
    : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1), query };
}

function parseQuery(text: string): QueryParam[] {
  if (!text) return [];
  return text
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0
        ? { name: decode(pair), value: null }
        : { name: decode(pair.slice(0, eq)), value: decode(pair.slice(eq + 1)) };
    });
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw OssErrors.invalidArgument('The request URL is not correctly percent-encoded.');
  }
}

function hostName(req: IncomingMessage): string {
  return (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
}

async function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw OssErrors.entityTooLarge();
  return readBody(req, MAX_BODY_BYTES, () => OssErrors.entityTooLarge());
}

function send(res: ServerResponse, method: string, answer: OssAnswer): void {
  try {
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  } catch {
    // A response-* override with characters HTTP headers cannot carry.
    throw OssErrors.invalidArgument('A response header override is not a valid header value.');
  }
  const body = method === 'HEAD' || answer.body === undefined ? undefined : answer.body;
  if (!res.hasHeader('Content-Length'))
    res.setHeader('Content-Length', body === undefined ? 0 : Buffer.byteLength(body));
  res.writeHead(answer.status);
  res.end(body);
}

function sendError(res: ServerResponse, method: string, err: unknown, requestId: string, hostId: string): void {
  if (res.headersSent || res.destroyed) return;
  const error = err instanceof OssError ? err : OssErrors.internal();
  const xml = errorXml(error, requestId, hostId);
  for (const name of res.getHeaderNames()) if (name !== 'x-oss-request-id' && name !== 'server') res.removeHeader(name);
  res.setHeader('Content-Type', 'application/xml');
  if (method === 'HEAD') {
    // A HEAD answer has no body: OSS puts the error document, base64-encoded, in x-oss-err.
    res.setHeader('x-oss-err', Buffer.from(xml).toString('base64'));
    res.setHeader('Content-Length', 0);
    res.writeHead(error.status);
    res.end();
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(xml));
  res.writeHead(error.status);
  res.end(xml);
}
