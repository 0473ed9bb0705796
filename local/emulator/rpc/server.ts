/**
 * One HTTP endpoint for every emulated RPC product (CAS 2020-06-30, CAS 2020-04-07, NLB 2022-04-30), routed on
 * `x-acs-version` and `x-acs-action` like Alibaba's gateway. Order per call: fault injection (so tests can count
 * and break any call), ACS3 signature, nonce replay, the contract check of the parameters (contracts/, from the
 * published SDK models), the product's handler, then the contract check of the answer. In strict mode (the
 * default, and always in tests) a parameter the action lacks is refused with `ContractViolation` and an answer
 * that strays from the response model becomes a 500, both recorded for the test harness.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parse as parseForm } from 'node:querystring';
import type { Logger } from '../../../shared/log/index.js';
import { closeServer, keepIdleConnections, listen, PendingDelays, readBody } from '../../http-server.js';
import type { Fault, FaultInjector } from '../faults.js';
import { NonceWindow, parseRawQuery, verifyAcs3Signature, type AccessKeyRecord } from '../signature.js';
import { checkRpcRequest } from '../contracts/check-request.js';
import { checkValue } from '../contracts/check-response.js';
import { contractFailure } from '../contracts/enforce.js';
import { contractFor, type Contract } from '../contracts/load.js';
import { recordViolations, type ContractViolation } from '../contracts/violations.js';
import { ApiError, invalidParameter, missingParameter } from './api-error.js';
import { RpcParams } from './params.js';

export interface RpcContext {
  requestId: string;
  accessKeyId: string;
  action: string;
  version: string;
}

export type RpcHandler = (
  params: RpcParams,
  ctx: RpcContext,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

export interface RpcProduct {
  /** The product code of the contracts (`nlb`, `cas`): contracts/<product>-<version>/<Action>.json. */
  product: string;
  version: string;
  /** What the real service puts in `HostId`, e.g. `cas.aliyuncs.com`. */
  hostId: string;
  actions: Record<string, RpcHandler>;
}

export interface RpcServerOptions {
  faults: FaultInjector;
  lookupKey: (accessKeyId: string) => AccessKeyRecord | undefined;
  products: RpcProduct[];
  port?: number;
  log: Logger;
  /** Refuse requests and answers that break the contracts (default true); false only logs them. */
  strictContracts?: boolean;
}

export interface RpcServer {
  port: number;
  /** `127.0.0.1:PORT`, what `Config.endpoint` takes. */
  endpoint: string;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 2 * 1024 * 1024;
// The certificate store client sends PEM certificates and keys in the query string.
const MAX_HEADER_BYTES = 256 * 1024;

function send(res: ServerResponse, status: number, requestId: string, body: Record<string, unknown>): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify({ RequestId: requestId, ...body });
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'x-acs-request-id': requestId,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const byVersion = new Map(options.products.map((p) => [p.version, p]));
  const nonces = new NonceWindow();
  const delays = new PendingDelays();
  let closed = false;

  const errorBody = (hostId: string, err: ApiError) => ({ HostId: hostId, Code: err.code, Message: err.message });
  const strict = options.strictContracts !== false;

  /** Records what broke the contract; strict: throws the refusal, with `code`, naming the contract file. */
  const breach = (
    contract: Contract,
    kind: ContractViolation['kind'],
    details: string[],
    status: number,
    code: string,
  ) => {
    const message = contractFailure(contract, kind, details, { strict, log: options.log });
    if (message) throw new ApiError(status, code, message);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const started = Date.now();
    res.on('finish', () =>
      options.log.debug('emulated RPC call', {
        apiAction: req.headers['x-acs-action'],
        statusCode: res.statusCode,
        requestId,
        durationMs: Date.now() - started,
      }),
    );
    const body = await readBody(
      req,
      MAX_BODY_BYTES,
      () => new ApiError(413, 'RequestEntityTooLarge', 'The request body is too large.'),
    );
    const [path, rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const action = req.headers['x-acs-action'];
    const version = req.headers['x-acs-version'];
    if (typeof action !== 'string' || !action) throw missingParameter('x-acs-action');
    if (typeof version !== 'string' || !version) throw missingParameter('x-acs-version');
    const product = byVersion.get(version);
    const hostId = product?.hostId ?? 'aliyuncs.com';

    const fault: Fault | undefined = options.faults.onCall(action);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      send(
        res,
        fault.status,
        requestId,
        errorBody(hostId, new ApiError(fault.status, fault.code, fault.message ?? fault.code)),
      );
      return;
    }
    // A delayed call still takes effect after the delay, as a slow cloud call does after the client gave up.
    if (fault?.kind === 'delay') {
      await delays.wait(fault.ms);
      if (closed) {
        req.socket.destroy();
        return;
      }
    }

    if (!product) throw new ApiError(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    const handler = product.actions[action];
    if (!handler)
      throw new ApiError(
        404,
        'InvalidAction.NotFound',
        'Specified api is not found, please check your url and method.',
      );

    const verdict = verifyAcs3Signature(
      { method: req.method ?? 'GET', path, query: rawQuery, headers: req.headers, body },
      options.lookupKey,
    );
    if (!verdict.ok) {
      send(
        res,
        verdict.status,
        requestId,
        errorBody(hostId, new ApiError(verdict.status, verdict.code, verdict.message)),
      );
      return;
    }
    const nonce = req.headers['x-acs-signature-nonce'];
    if (typeof nonce === 'string' && !nonces.accept(nonce)) {
      throw new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    }

    const values: Record<string, string> = parseRawQuery(rawQuery);
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of Object.entries(parseForm(body.toString('utf8'))))
        values[k] = Array.isArray(v) ? v.join(',') : (v ?? '');
    }
    try {
      const contract = contractFor(product.product, version, action);
      if (!contract) {
        recordViolations([
          { api: `${product.product}/${version}/${action}`, kind: 'no-contract', detail: 'no contract file' },
        ]);
        throw new ApiError(
          500,
          'ContractViolation',
          `The emulator serves ${action} without a contract (npm run contracts).`,
        );
      }
      const findings = checkRpcRequest(contract, values);
      if (findings.violations.length) breach(contract, 'request', findings.violations, 400, 'ContractViolation');
      if (findings.missing) throw missingParameter(findings.missing);
      if (findings.invalid) throw invalidParameter(findings.invalid.name, findings.invalid.why);
      const result = await handler(new RpcParams(values), {
        requestId,
        accessKeyId: verdict.accessKeyId,
        action,
        version,
      });
      const problems = contract.response.body
        ? checkValue(contract.response.body, { RequestId: requestId, ...result })
        : [];
      if (problems.length) breach(contract, 'response', problems, 500, 'ContractViolation.Response');
      send(res, 200, requestId, result);
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, requestId, errorBody(hostId, err));
        return;
      }
      options.log.error('emulator RPC handler failed', {
        apiAction: action,
        errorName: (err as Error)?.name,
        errorMessage: (err as Error)?.message,
      });
      send(
        res,
        500,
        requestId,
        errorBody(
          hostId,
          new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.'),
        ),
      );
    }
  }

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const apiError =
        err instanceof ApiError
          ? err
          : new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.');
      send(res, apiError.status, randomUUID().toUpperCase(), { Code: apiError.code, Message: apiError.message });
    });
  });
  keepIdleConnections(server);
  const port = await listen(server, options.port ?? 0);

  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      closed = true;
      delays.releaseAll();
      await closeServer(server);
    },
  };
}
