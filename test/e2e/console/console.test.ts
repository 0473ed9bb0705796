/**
 * The fleet console in a real headless Chromium (Debian's package, driven by playwright-core) against the local
 * stack: cert-api serving the page, renew-scheduler making the summary on its timer, renew-worker, and
 * reconcile-listeners reporting on the emulator's two seeded listeners. The page is used as an operator would:
 * paste the token, read the timeline, find a certificate, renew it, revoke it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../../local/browser.js';
import {
  declareSeededListeners,
  issueDemoCertificates,
  type IssuedDemoCertificate,
} from '../../../local/demo-fleet.js';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

const HTML_LABEL = '<img src=x onerror="window.__labelRan=1"><b>bold</b>';

let stack: LocalStack;
let browser: HeadlessChromium;
let page: Page;
let dir: string;
let previousSink: LogSink;
let fresh: IssuedDemoCertificate;
let other: IssuedDemoCertificate;
const logs: string[] = [];
const consoleErrors: string[] = [];
const requested: string[] = [];

const api = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as any };
};

beforeAll(async () => {
  previousSink = setLogSink(alsoKeptForFailure((line) => logs.push(line)));
  dir = mkdtempSync(join(tmpdir(), 'nma-console-'));
  const desired = join(dir, 'listeners.yaml');
  stack = await startLocalStack({
    functions: ['cert-api', 'renew-scheduler', 'renew-worker', 'reconcile-listeners'],
    emulatorOptions: { jobDelayMs: 50 },
    functionEnv: { 'reconcile-listeners': { DESIRED_STATE_FILE: desired } },
    log: (line) => logs.push(line),
  });
  // A small fleet, a listener switched on and proved by a handshake (the other one blocked), and the summary as
  // renew-scheduler makes it on its timer; then the certificate an operator has just issued.
  [other] = await issueDemoCertificates(stack, [
    { commonName: 'gateway-1.plant.example.com', validityDays: 12, labels: { site: 'plant' } },
    { commonName: 'gateway-2.plant.example.com', validityDays: 40, autoRenew: false },
    { commonName: 'scanner-7.depot.example.com', validityDays: 60 },
  ]);
  declareSeededListeners(stack, desired);
  await stack.invoke('reconcile-listeners', { mode: 'apply' });
  [fresh] = await issueDemoCertificates(stack, [
    { commonName: 'console-e2e.devices.example.com', validityDays: 30, labels: { owner: HTML_LABEL, site: 'lab' } },
  ]);
  await stack.fireTimer('renew-scheduler');
  await stack.idle();

  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  page.on('request', (r) => requested.push(r.url()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  setLogSink(previousSink);
});

it('logs in with the dev token and draws the summary and the 90-day expiry timeline', async () => {
  // act
  await page.goto(`${stack.apiUrl}/console`);
  await page.fill('#token', stack.devToken);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#timeline:not([hidden]) svg.timeline');
  // assess
  const days = await page.$$eval('#timeline svg g.day', (groups) =>
    groups.map((g) => ({ date: g.getAttribute('data-date'), total: Number(g.getAttribute('data-total')) })),
  );
  const expiry = (await api(`/v1/certificates/${fresh.id}`)).body.notAfter.slice(0, 10);
  expect(days).toHaveLength(90);
  expect(days.reduce((sum, d) => sum + d.total, 0)).toBe(4);
  expect(days.find((d) => d.date === expiry)?.total).toBeGreaterThanOrEqual(1);
  expect(await page.$$('#timeline svg rect.bar.scheduled')).not.toHaveLength(0);
  expect(await page.$$('#timeline svg rect.bar.notRenewing')).toHaveLength(1);
  expect(await page.textContent('#cards')).toContain('4certificates');
  expect(await page.textContent('#whoami')).toContain('tenant dev');
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('nlb-mtls-console.token'))).toBe(
    stack.devToken,
  );
  expect(page.url()).toBe(`${stack.apiUrl}/console`);
});

it('finds the certificate issued just before by its name prefix, with its HTML label shown as text', async () => {
  // act
  await page.fill('#search', 'console-e2e');
  await page.click('#filters button[type=submit]');
  await page.waitForSelector(`#certificate-table tr[data-id="${fresh.id}"]`);
  // assess
  const rows = await page.$$eval('#certificate-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-id')));
  const row = `#certificate-table tr[data-id="${fresh.id}"]`;
  const label = await page.textContent(`${row} .label[data-label="owner"]`);
  expect(rows).toEqual([fresh.id]);
  expect(await page.textContent(row)).toContain('console-e2e.devices.example.com');
  expect(await page.textContent(row)).toContain('ACTIVE');
  expect(label).toBe(`owner=${HTML_LABEL}`);
  expect(await page.$$('#certificate-table img, #certificate-table b')).toHaveLength(0);
  expect(await page.evaluate(() => (globalThis as any).__labelRan)).toBeUndefined();
});

it('shows the listeners: one changed with a passing handshake proof, one blocked by its rule', async () => {
  // act
  await page.waitForSelector('#listener-table tbody tr');
  const rows = await page.$$eval('#listener-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
  // assess
  expect(rows).toHaveLength(2);
  expect(rows.find((r) => r.includes('changed'))).toMatch(
    /passed.*with canary certificate: answered.*without certificate: refused/s,
  );
  expect(rows.find((r) => r.includes('blocked'))).toContain('client-ip-preservation-off');
});

it('opens the certificate: names, serial, fingerprint, its chain and its history', async () => {
  // act
  await page.click(`#certificate-table button[data-id="${fresh.id}"]`);
  await page.waitForSelector('#detail:not([hidden]) #detail-chain li');
  // assess
  const facts = await page.textContent('#detail-facts');
  const chain = await page.$$eval('#detail-chain > li strong', (s) => s.map((e) => e.textContent));
  expect(await page.textContent('#detail-title')).toBe('console-e2e.devices.example.com');
  expect(facts).toContain(fresh.serialNumber);
  expect(facts).toContain((await api(`/v1/certificates/${fresh.id}`)).body.fingerprintSha256);
  expect(chain).toEqual(['leaf', 'intermediate', 'root']);
  expect(await page.$$('#detail-history tbody tr')).toHaveLength(1);
});

it('renews from the page and shows the answer; the API has the next generation', async () => {
  // act
  await page.click('#action-renew');
  await page.waitForSelector('#action-result.ok');
  // assess
  const shown = await page.textContent('#action-result');
  const after = (await api(`/v1/certificates/${fresh.id}`)).body;
  expect(after.generation).toBe(2);
  expect(shown).toContain(`Renewed console-e2e.devices.example.com: generation 2, serial ${after.serialNumber}`);
  expect(await page.$$('#action-result .downloads a')).toHaveLength(2);
  expect(await page.$$('#detail-history tbody tr')).toHaveLength(2);
});

it('revokes after a confirmation that names the certificate', async () => {
  // act
  await page.click('#action-revoke');
  const asked = await page.textContent('#revoke-dialog');
  const button = await page.textContent('#revoke-confirm');
  await page.selectOption('#revoke-reason', 'keyCompromise');
  await page.click('#revoke-confirm');
  await page.waitForSelector('#action-result.ok >> text=Revoked');
  // assess
  const after = (await api(`/v1/certificates/${fresh.id}`)).body;
  expect(asked).toContain('Revoke console-e2e.devices.example.com?');
  expect(asked).toContain(fresh.id);
  expect(button).toBe('Revoke console-e2e.devices.example.com');
  expect(after).toMatchObject({ status: 'REVOKED', revocationReason: 'keyCompromise', autoRenew: false });
  expect(await page.textContent('#action-result')).toContain(`Revoked console-e2e.devices.example.com (${fresh.id})`);
  expect(await page.textContent(`#certificate-table tr[data-id="${fresh.id}"]`)).toContain('REVOKED');
});

it("shows the API's error code when an action is refused", async () => {
  // prepare: the page shows another certificate, which someone else revokes meanwhile
  await page.fill('#search', '');
  await page.click('#filters button[type=submit]');
  await page.click(`#certificate-table button[data-id="${other.id}"]`);
  await page.waitForSelector(`#detail:not([hidden]) >> text=${other.serialNumber}`);
  expect((await api(`/v1/certificates/${other.id}/revoke`, { method: 'POST', body: '{}' })).status).toBe(200);
  // act
  await page.click('#action-renew');
  await page.waitForSelector('#action-result.error');
  // assess
  expect(await page.textContent('#action-result')).toContain('409 CERTIFICATE_REVOKED');
});

it('leaves no error in the browser console and never puts the token in a URL or a log line', () => {
  // The refused renewal's 409 is the one failed request of the session; Chromium logs that as a console error.
  expect(consoleErrors).toEqual([expect.stringMatching(/status of 409/)]);
  expect(requested.filter((url) => url.includes(stack.devToken))).toEqual([]);
  expect(logs.filter((line) => line.includes(stack.devToken))).toEqual([]);
  expect(requested.some((url) => url.endsWith('/v1/summary'))).toBe(true);
});
