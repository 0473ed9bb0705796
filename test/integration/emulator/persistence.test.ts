import { afterAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../../local/emulator/index.js';
import { JsonlCollection } from '../../../local/emulator/persistence.js';
import { loadAlibabaConfig } from '../../../shared/config/alibaba.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { NLB_VERSION, PCA_VERSION, rpcClient } from './rpc-support.js';

describe('emulator state in its data dir', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nma-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a restart with the same data dir keeps the CA, the keys, issued certificates (with their CustomIdentifier) and listener settings', async () => {
    const first = await startEmulator({ dataDir, dataPlane: false, jobDelayMs: 20, caKeyAlgorithm: 'ECC_256' });
    const csr = await buildCsr({ keyPair: await generateKeyPair('EC_P256'), commonName: 'kept.example.com' });
    const issueParams = { ParentIdentifier: first.ca.subCaIdentifier, Csr: csr, Days: 5, CustomIdentifier: 'kept-1' };
    const issued = await rpcClient(first, PCA_VERSION)<{ Identifier: string }>(
      'CreateClientCertificateWithCsr',
      issueParams,
    );
    const listenerId = first.listeners[0].listenerId;
    await rpcClient(first, NLB_VERSION)('UpdateListenerAttribute', {
      ListenerId: listenerId,
      CaEnabled: true,
      CaCertificateIds: [first.ca.rootIdentifier],
    });
    await first.nlb.whenRunning(listenerId);
    const before = {
      ca: first.ca.rootCertificatePem,
      sub: first.ca.subCaIdentifier,
      credentials: first.credentials,
      listeners: first.listeners.map((l) => l.listenerId),
    };
    await first.close();

    const second = await startEmulator({ dataDir, dataPlane: false });
    try {
      const kept = await rpcClient(second, PCA_VERSION)<{
        Certificate: { Identifier: string; CustomIdentifier: string };
      }>('DescribeClientCertificate', { Identifier: issued.Identifier });
      const listener = await rpcClient(second, NLB_VERSION)<{ CaEnabled: boolean; CaCertificateIds: string[] }>(
        'GetListenerAttribute',
        { ListenerId: listenerId },
      );

      expect({
        ca: second.ca.rootCertificatePem,
        sub: second.ca.subCaIdentifier,
        credentials: second.credentials,
        listeners: second.listeners.map((l) => l.listenerId),
      }).toEqual(before);
      expect(kept.Certificate).toMatchObject({ Identifier: issued.Identifier, CustomIdentifier: 'kept-1' });
      expect(second.cas.listClientCertificates().map((c) => c.identifier)).toEqual([issued.Identifier]);
      expect([listener.CaEnabled, listener.CaCertificateIds]).toEqual([true, [second.ca.rootIdentifier]]);
      expect(second.nlb.listeners()).toHaveLength(2); // not seeded twice
    } finally {
      await second.close();
    }
  });

  it('one emulator per data dir: a second one is refused while the first runs, and allowed after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nma-'));
    const first = await startEmulator({ dataDir: dir, seed: false, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
    const refused = await startEmulator({ dataDir: dir, seed: false, dataPlane: false }).then(
      (e) => e.close().then(() => 'started'),
      (err: Error) => err.message,
    );
    await first.close();
    const again = await startEmulator({ dataDir: dir, seed: false, dataPlane: false });
    await again.close();
    rmSync(dir, { recursive: true, force: true });
    expect(refused).toContain('already in use');
  });

  it("a temp data dir is removed on close, and env() points the project's config at the emulator", async () => {
    const emulator = await startEmulator({ seed: false, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
    const config = loadAlibabaConfig(emulator.env());
    const dir = emulator.dataDir;
    await emulator.close();

    expect(config.cas).toEqual({ endpoint: emulator.rpcEndpoint, protocol: 'http', regionId: 'cn-hangzhou' });
    expect(config.nlb.endpoint).toBe(emulator.rpcEndpoint);
    expect(config.oss).toMatchObject({ endpoint: emulator.ossEndpoint, bucket: emulator.bucket, local: true });
    expect(config.credentials.current().accessKeyId).toBe(emulator.credentials.accessKeyId);
    expect(() => readFileSync(join(dir, 'credentials.json'))).toThrow();
  });

  it('a collection survives a torn last line and compacts a long log when loaded', async () => {
    const file = join(dataDir, 'log-test.jsonl');
    const log = new JsonlCollection<{ n: number }>(file);
    for (let i = 0; i < 300; i++) log.put('same', { n: i });
    log.put('other', { n: -1 });
    log.delete('other');
    await log.flush();
    appendFileSync(file, '{"id":"same","val'); // a crash mid-write

    const reloaded = new JsonlCollection<{ n: number }>(file);

    expect([...reloaded.values()]).toEqual([{ n: 299 }]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
