/**
 * Issue 11 item 1 at send time: a host NAME that resolves to loopback, a private range or a metadata address is
 * refused before any connection, whichever of its addresses is the bad one (DNS rebinding answers with several);
 * the name is resolved once per attempt and the socket connects to exactly the address that was checked.
 */
import { createServer, type Server } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { createLogger } from '../../../shared/log/index.js';
import { createWebhookSender, renewedEvent } from '../../../shared/notify/index.js';

const SECRET = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;
const event = renewedEvent(
  {
    certificate: {
      id: 'cc-aaaaaaaaaaaaaaaaaaaa02',
      tenant: 'acme',
      commonName: 'd2.example.com',
      mode: 'server-key',
      generation: 2,
      serialNumber: '0b',
      notBefore: '2030-01-01T00:00:00.000Z',
      notAfter: '2030-04-01T00:00:00.000Z',
      autoRenew: true,
    },
    reason: 'NearingExpiry',
    previous: { generation: 1, serialNumber: '0a', notAfter: '2030-02-01T00:00:00.000Z' },
    downloads: {},
  },
  new Date(),
);

let server: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  // A plain TCP listener on loopback counts connections: a refused send must never reach it.
  server = createServer((socket) => {
    connections += 1;
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  connections = 0;
});

function sender(answers: LookupAddress[][], allowLoopback = false) {
  const asked: string[] = [];
  const webhooks = createWebhookSender({
    secretsFor: async () => [SECRET],
    allowLoopback,
    timeoutMs: 2000,
    maxAttempts: 2,
    backoffBaseMs: 1,
    clock: { now: () => new Date() },
    log: createLogger({ fn: 'test' }, 'error'),
    sleep: async () => undefined,
    resolver: async (hostname) => {
      asked.push(hostname);
      return answers.shift() ?? [];
    },
  });
  return { webhooks, asked };
}

describe('send-time resolution', () => {
  it.each<[string, LookupAddress[]]>([
    ['loopback', [{ address: '127.0.0.1', family: 4 }]],
    ['the cloud metadata address', [{ address: '169.254.169.254', family: 4 }]],
    ['Alibaba Cloud metadata', [{ address: '100.100.100.200', family: 4 }]],
    [
      'a private address among public ones',
      [
        { address: '8.8.8.8', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
    ],
    ['NAT64 of the metadata address', [{ address: '64:ff9b::a9fe:a9fe', family: 6 }]],
    ['a mapped loopback', [{ address: '::ffff:127.0.0.1', family: 6 }]],
  ])('refuses a name that resolves to %s, without connecting or retrying', async (_label, addresses) => {
    // prepare
    const { webhooks, asked } = sender([addresses]);
    // act
    const result = await webhooks.send(`https://hooks.attacker.example:${port}/x`, 'acme', event);
    // assess
    expect(result).toEqual({ delivered: false, attempts: 1, error: 'WEBHOOK_ADDRESS_FORBIDDEN' });
    expect(asked).toEqual(['hooks.attacker.example']);
    expect(connections).toBe(0);
  });

  it('locally (loopback allowed) connects to the one address it checked', async () => {
    // prepare: `localhost` resolves (through the injected resolver) to the listener's loopback address
    const { webhooks, asked } = sender([[{ address: '127.0.0.1', family: 4 }]], true);
    // act
    const result = await webhooks.send(`http://localhost:${port}/x`, 'acme', event);
    // assess
    expect(result).toEqual({ delivered: true, attempts: 1, statusCode: 204 });
    expect(asked).toEqual(['localhost']);
    expect(connections).toBe(1);
  });

  it('locally, a loopback name that resolves to a private address is still refused', async () => {
    const { webhooks } = sender([[{ address: '192.168.1.10', family: 4 }]], true);
    const result = await webhooks.send(`http://localhost:${port}/x`, 'acme', event);
    expect(result.error).toBe('WEBHOOK_ADDRESS_FORBIDDEN');
    expect(connections).toBe(0);
  });
});
