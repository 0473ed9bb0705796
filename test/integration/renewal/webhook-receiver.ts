// A local webhook receiver for tests: verifies each request with the `standardwebhooks` package and the tenant's
// secret, as a user's receiver would (docs/renewal.md).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  body: string;
  event: any;
  verification: VerifyResult;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answer the next requests with these statuses (then 200), or hang (never answer) with 'hang'. */
  script: Array<number | 'hang'>;
  close(): Promise<void>;
}

export function verifyWithStandardWebhooks(
  secret: string,
  body: string,
  headers: IncomingMessage['headers'],
): VerifyResult {
  try {
    new Webhook(secret).verify(body, {
      'webhook-id': String(headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(headers['webhook-signature'] ?? ''),
    });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

export async function startWebhookReceiver(secret: string, path = '/hooks/certificates'): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const script: Array<number | 'hang'> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verification = verifyWithStandardWebhooks(secret, body, req.headers);
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        event = undefined;
      }
      received.push({ headers: req.headers, body, event, verification });
      const next = script.shift();
      if (next === 'hang') return; // never answer: the sender's timeout must give up
      if (!verification.ok) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(next ?? 200, next === 302 ? { location: 'http://127.0.0.1:1/elsewhere' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
