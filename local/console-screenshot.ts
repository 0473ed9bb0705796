/**
 * `npm run console:screenshot [-- --out docs/console.png]`: the fleet console with a seeded fleet, photographed in
 * headless Chromium for docs/console.md. Runs the whole local stack on random ports in a temp directory: ~120
 * certificates issued through the API, a few made due and renewed by renew-scheduler and renew-worker (three of
 * them while the emulated CA fails, so they back off), four more left due (the backlog), two revoked, the seeded listeners
 * reconciled, the summary made as the scheduler makes it, then one renewed certificate opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from './browser.js';
import {
  declareSeededListeners,
  issueDemoCertificates,
  makeDue,
  stackStore,
  type DemoCertificate,
} from './demo-fleet.js';
import { Faults } from './emulator/faults.js';
import { startLocalStack } from './stack.js';
import { refreshFleetSummaries } from '../shared/fleet/refresh.js';
import { systemClock } from '../shared/domain/ports.js';
import { createLogger, setLogSink } from '../shared/log/index.js';

const at = process.argv.indexOf('--out');
const out = resolve(at > 0 ? process.argv[at + 1] : 'docs/console.png');

const SITES = ['plant-hz', 'depot-sh', 'lab'];
const KINDS = ['gateway', 'scanner', 'sensor', 'kiosk'];

/** Most devices on 30-day certificates, others on 7 to 85 days, a day or two apart: expiries cluster as in a fleet. */
const LIFETIMES = [30, 30, 30, 30, 14, 60, 60, 45, 7, 85, 21, 75];

function demoFleet(): DemoCertificate[] {
  return Array.from({ length: 120 }, (_, i) => {
    const site = SITES[i % SITES.length];
    return {
      commonName: `${KINDS[i % KINDS.length]}-${String(i + 1).padStart(3, '0')}.${site}.example.com`,
      validityDays: LIFETIMES[i % LIFETIMES.length] + (i % 3),
      autoRenew: i % 9 !== 4,
      labels: { site, team: i % 2 ? 'logistics' : 'operations', ...(i === 5 ? { note: '<b>not bold</b>' } : {}) },
    };
  });
}

async function firstRenewed(apiUrl: string, token: string): Promise<string> {
  const answer = await fetch(`${apiUrl}/v1/certificates?limit=20`, { headers: { authorization: `Bearer ${token}` } });
  const page = (await answer.json()) as { items: Array<{ id: string; generation: number }> };
  const renewed = page.items.find((c) => c.generation > 1);
  if (!renewed) throw new Error('no renewed certificate on the first page');
  return renewed.id;
}

async function main(): Promise<void> {
  setLogSink(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'nma-screenshot-'));
  const desired = join(dir, 'listeners.yaml');
  const stack = await startLocalStack({
    functions: ['cert-api', 'renew-scheduler', 'renew-worker', 'reconcile-listeners'],
    emulatorOptions: { jobDelayMs: 50 },
    functionEnv: { 'reconcile-listeners': { DESIRED_STATE_FILE: desired } },
  });
  try {
    const issued = await issueDemoCertificates(stack, demoFleet());
    const renewable = issued.filter((_, i) => i % 9 !== 4);
    // Eight renewals through the scheduler and the worker, the first three while the CA fails.
    await makeDue(
      stack,
      renewable.slice(0, 8).map((c) => c.id),
    );
    stack.emulator.faults.failNext('CreateClientCertificateWithCsr', 3, Faults.unavailable());
    await stack.fireTimer('renew-scheduler');
    await stack.idle();
    stack.emulator.faults.clear();
    // Four more due now and not renewed yet: the backlog the summary shows.
    await makeDue(
      stack,
      renewable.slice(8, 12).map((c) => c.id),
    );
    // Two revoked by their owners.
    for (const c of issued.slice(-2)) {
      const answer = await fetch(`${stack.apiUrl}/v1/certificates/${c.id}/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'cessationOfOperation' }),
      });
      if (answer.status !== 200) throw new Error(`revoking ${c.commonName}: ${answer.status}`);
    }
    declareSeededListeners(stack, desired);
    await stack.invoke('reconcile-listeners', { mode: 'apply' });
    await refreshFleetSummaries({ store: stackStore(stack), clock: systemClock, log: createLogger({}, 'error') });

    const browser = await launchChromium({ width: 1280, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${stack.apiUrl}/console`);
      await page.fill('#token', stack.devToken);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#timeline:not([hidden]) svg.timeline');
      await page.waitForSelector('#listener-table tbody tr');
      // Which renewals failed depends on the order the worker took them in: open one that was renewed.
      const renewed = await firstRenewed(stack.apiUrl, stack.devToken);
      await page.click(`#certificate-table button[data-id="${renewed}"]`);
      await page.waitForSelector('#detail:not([hidden]) #detail-chain li');
      await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
      await page.screenshot({ path: out, fullPage: true });
      console.log(`wrote ${out}`);
    } finally {
      await browser.close();
    }
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
