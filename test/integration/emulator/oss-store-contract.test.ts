// The OSS adapter (shared/alibaba/oss-store.ts) on the emulated OSS keeps the ObjectStore contract that the unit
// tests' in-memory fake keeps too (test/unit/object-store/memory-object-store.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaultInjector } from '../../../local/emulator/faults.js';
import { startOssServer } from '../../../local/emulator/oss/server.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { describeObjectStoreContract } from '../../helpers/object-store-contract.js';

const BUCKET = 'nma-contract';
const credentials = { accessKeyId: 'LTAI5tContract', accessKeySecret: 'contract-secret' };

describeObjectStoreContract('OSS adapter on the emulator', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nma-contract-'));
  const oss = await startOssServer({
    dataDir,
    faults: new FaultInjector(),
    credentials: [credentials],
    buckets: [BUCKET],
  });
  const store = createOssObjectStore({ endpoint: oss.endpoint, bucket: BUCKET, credentials, region: 'cn-hangzhou' });
  return {
    store,
    close: async () => {
      await oss.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
