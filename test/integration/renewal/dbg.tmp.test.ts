import { Faults } from '../../../local/emulator/index.js';
import { startRig } from './rig.js';
it('dbg', async () => {
  const rig = await startRig({ workerConcurrency: 1, casTimeoutMs: 1000 });
  try {
    const [due] = await rig.seedDue(1);
    rig.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(1500));
    const t = Date.now();
    await rig.sweep();
    const r = await rig.record(due.id);
    console.log(Date.now() - t, r.current.generation, JSON.stringify(r.renewal));
    console.log(rig.logs.filter((l) => l.fn !== 'emulator' && l.msg !== 'audit').map((l) => JSON.stringify(l)).join('\n').slice(0, 3000));
  } finally { await rig.close(); }
});
