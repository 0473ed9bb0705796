/**
 * Issue 12 item 1: the sample receiver of docs/renewal.md (docs/examples/webhook-receiver.mjs, run as a user runs
 * it) verifies our deliveries with the tenant's secret through the `standardwebhooks` package, refuses another
 * tenant's secret, and handles a redelivered event id once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '../../../shared/log/index.js';
import { createWebhookSender, deriveWebhookSecret, expiringEvent, renewedEvent } from '../../../shared/notify/index.js';

const master = Buffer.alloc(32, 0x42);
const acme = deriveWebhookSecret(master, 'acme', 1);
const other = deriveWebhookSecret(master, 'other', 1);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let receiver: ChildProcess;
const saveDir = mkdtempSync(join(tmpdir(), 'nma-receiver-'));
let output = '';
let port: number;

/** Resolves once the receiver has printed `text` (its stdout reaches us after its HTTP answer, not before). */
function printed(text: string, timeoutMs = 10_000): Promise<void> {
  if (output.includes(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not print ${text}:\n${output}`)), timeoutMs);
    const check = () => {
      if (!output.includes(text)) return;
      clearTimeout(timer);
      receiver.stdout!.off('data', check);
      resolve();
    };
    receiver.stdout!.on('data', check);
  });
}

beforeAll(async () => {
  port = await freePort();
  receiver = spawn(process.execPath, [join(process.cwd(), 'docs/examples/webhook-receiver.mjs')], {
    env: { ...process.env, WEBHOOK_SECRET: acme, PORT: String(port), SAVE_DIR: saveDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  receiver.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  receiver.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not start: ${output}`)), 15_000);
    receiver.stdout!.on('data', () => {
      if (output.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
});
afterAll(() => {
  receiver?.kill();
  rmSync(saveDir, { recursive: true, force: true });
});

const sender = (secret: string) =>
  createWebhookSender({
    secretsFor: async () => [secret],
    allowLoopback: true,
    timeoutMs: 5000,
    maxAttempts: 1,
    backoffBaseMs: 1,
    clock: { now: () => new Date() },
    log: createLogger({ fn: 'test' }, 'error'),
  });

it('verifies with the tenant secret, refuses another tenant secret, and drops a redelivery', async () => {
  // prepare
  const event = expiringEvent(
    {
      certificate: {
        id: 'cc-aaaaaaaaaaaaaaaaaaaa03',
        tenant: 'acme',
        commonName: 'd3.example.com',
        mode: 'csr',
        generation: 1,
        serialNumber: '0c',
        notBefore: '2030-01-01T00:00:00.000Z',
        notAfter: '2030-02-01T00:00:00.000Z',
        autoRenew: false,
      },
      daysLeft: 7,
      thresholdDays: 7,
      why: 'auto-renew-disabled',
    },
    new Date(),
  );
  const url = `http://127.0.0.1:${port}/hooks`;
  // act
  const first = await sender(acme).send(url, 'acme', event);
  const again = await sender(acme).send(url, 'acme', event);
  const forged = await sender(other).send(url, 'acme', event);
  // assess
  expect([first.statusCode, again.statusCode, forged.statusCode]).toEqual([204, 204, 401]);
  await printed('refused: bad or stale signature');
  expect(output.match(/certificate\.expiring cc-aaaaaaaaaaaaaaaaaaaa03/g)).toHaveLength(1);
  expect(output).toContain(`duplicate ${event.id} dropped`);
  expect(output).toContain('refused: bad or stale signature');
});

it("keeps a renewal's links and new .p12 password in an owner-only file, and prints only where", async () => {
  // prepare
  const certificate = {
    id: 'cc-aaaaaaaaaaaaaaaaaaaa04',
    tenant: 'acme',
    commonName: 'd4.example.com',
    mode: 'server-key' as const,
    generation: 2,
    serialNumber: '0d',
    notBefore: '2030-01-01T00:00:00.000Z',
    notAfter: '2030-02-01T00:00:00.000Z',
    autoRenew: true,
  };
  const downloads = { p12: { url: 'https://oss.example/p12?sig', expiresAt: '2030-01-02T00:00:00.000Z' } };
  const event = renewedEvent(
    {
      certificate,
      reason: 'Scheduled',
      previous: { generation: 1, serialNumber: '0c', notAfter: '2030-01-15T00:00:00.000Z' },
      downloads,
      p12Password: 'New-P12-Password-0042',
    },
    new Date(),
  );
  // act
  const sent = await sender(acme).send(`http://127.0.0.1:${port}/hooks`, 'acme', event);
  await printed('generation 2: links and the new .p12 password saved to');
  // assess
  expect(sent.statusCode).toBe(204);
  const file = join(saveDir, 'renewed-cc-aaaaaaaaaaaaaaaaaaaa04-g2.json');
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
    certificateId: certificate.id,
    generation: 2,
    downloads,
    p12Password: 'New-P12-Password-0042',
  });
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(output).not.toContain('New-P12-Password-0042');
});
