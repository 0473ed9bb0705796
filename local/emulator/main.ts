/**
 * The emulator alone, without the functions: `npx tsx local/emulator/main.ts [dataDir]`. Fixed default ports
 * (RPC 8701, OSS 8702, FC 8703, listeners 8443/8444; override with EMULATOR_*_PORT), data kept in
 * `.local/emulator` by default. Prints the env that points this project's code at it, then runs until Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmulator } from './index.js';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const dataDir = resolve(process.argv[2] ?? '.local/emulator');

const emulator = await startEmulator({
  dataDir,
  ports: {
    rpc: port('EMULATOR_RPC_PORT', 8701),
    oss: port('EMULATOR_OSS_PORT', 8702),
    fc: port('EMULATOR_FC_PORT', 8703),
    listeners: [port('EMULATOR_LISTENER_PORT', 8443), port('EMULATOR_LISTENER2_PORT', 8444)],
  },
});
const rootFile = join(dataDir, 'root.crt');
writeFileSync(rootFile, emulator.ca.rootCertificatePem);

console.log(`Emulator up (data in ${dataDir}). Point the project at it with:\n`);
for (const [k, v] of Object.entries(emulator.env())) console.log(`export ${k}='${v}'`);
console.log('\nListeners (TCPSSL, mutual auth off until you turn it on):');
for (const l of emulator.listeners) {
  console.log(
    `  ${l.listenerId} (:${l.listenerPort})  curl --cacert ${rootFile} --resolve ${l.host}:${l.port}:127.0.0.1 https://${l.host}:${l.port}/`,
  );
}
console.log(`\nPCA sub-CA (ParentIdentifier): ${emulator.ca.subCaIdentifier}   root CA: ${emulator.ca.rootIdentifier}`);

const stop = () => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
