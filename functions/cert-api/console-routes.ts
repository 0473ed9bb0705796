/**
 * The fleet console (docs/console.md): its page and static files (public: they hold no data), and the three reads
 * it adds to the API (token required, same gates as the rest): the fleet summary, the listeners' last reconcile
 * report and one certificate's chain and history. Everything else the page does goes through the existing API.
 */
import { auditedRead } from '../../shared/auth/audited-read.js';
import { requireOperation } from '../../shared/auth/decisions.js';
import type { TokenPrincipal } from '../../shared/auth/principal.js';
import type { CertificateDetailsReads } from '../../shared/certificates/details.js';
import type { FleetReads } from '../../shared/fleet/summary-reads.js';
import {
  jsonResponse,
  route,
  RouteNotFoundError,
  type HttpRequest,
  type HttpResponse,
  type Route,
} from '../../shared/http/index.js';
import type { ListenerStatusStore } from '../../shared/listeners/status-store.js';
import type { Logger } from '../../shared/log/index.js';
import type { ConsoleAsset } from './console-assets.js';

export interface ConsoleDeps {
  assets: ReadonlyMap<string, ConsoleAsset>;
  fleet: FleetReads;
  listeners: Pick<ListenerStatusStore, 'read'>;
  details: CertificateDetailsReads;
}

/**
 * Only this origin's own files and API; no inline script or style (every value is put into the page as text by
 * console.js), no framing, no form posts anywhere (the token form is handled by script, never submitted).
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function assetResponse(asset: ConsoleAsset): HttpResponse {
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    },
    isBase64Encoded: false,
    body: asset.body,
  };
}

type Session = (input: { request: HttpRequest; caller: unknown }) => { principal: TokenPrincipal };

export function consoleRoutes(deps: ConsoleDeps, log: Logger, session: Session): Route[] {
  const requestLog = (request: HttpRequest) => log.child({ requestId: request.requestId });
  return [
    route({
      method: 'GET',
      path: '/console',
      public: true,
      handle: async ({ request }) => {
        // The page loads its files and calls the API by relative URLs: `/console/` would resolve them one level down.
        if (request.rawPath.split('?')[0].endsWith('/'))
          return { statusCode: 308, headers: { location: '../console' }, isBase64Encoded: false, body: '' };
        return assetResponse(deps.assets.get('index.html')!);
      },
    }),
    route({
      method: 'GET',
      path: '/console/:file',
      public: true,
      handle: async ({ params }) => {
        const asset = params.file !== 'index.html' ? deps.assets.get(params.file) : undefined;
        if (!asset) throw new RouteNotFoundError();
        return assetResponse(asset);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/summary',
      handle: async (input) => {
        const { principal } = session(input);
        return jsonResponse(200, await deps.fleet.summary(principal, requestLog(input.request)));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/listeners',
      handle: async (input) => {
        const { principal } = session(input);
        const answer = await auditedRead(
          requestLog(input.request),
          { action: 'listeners.read', principal },
          async () => {
            requireOperation(principal, 'listeners');
            const doc = await deps.listeners.read();
            return doc
              ? { available: true, updatedAt: doc.updatedAt, listeners: doc.listeners }
              : { available: false, listeners: [] };
          },
        );
        return jsonResponse(200, answer);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/certificates/:id/details',
      handle: async (input) => {
        const { principal } = session(input);
        return jsonResponse(200, await deps.details.details(principal, input.params.id, requestLog(input.request)));
      },
    }),
  ];
}
