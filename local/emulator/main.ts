/**
 * The emulator alone, without the functions: `npx tsx local/emulator/main.ts [dataDir]`. The same port variables
 * as `npm start` (LOCAL_RPC_PORT 8701, LOCAL_OSS_PORT 8702, LOCAL_FC_PORT 8703, LOCAL_LISTENER_PORTS 8443,8444;
 * local/ports.ts), data kept in `.local/emulator` by default. Prints the env that points this project's code at
 * it, then runs until Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { localPorts } from '../ports.js';
import { startEmulator } from './index.js';

const { rpc, oss, fc, listeners } = localPorts();
const dataDir = resolve(process.argv[2] ?? '.local/emulator');

const emulator = await startEmulator({
  dataDir,
  ports: { rpc, oss, fc, listeners },
});
const rootFile = join(dataDir, 'root.crt');
writeFileSync(rootFile, emulator.ca.rootCertificatePem);

// The secret key is never printed (issue 11: no secret on a terminal or in a log): the export line reads it
// from the owner-only credentials file when the user runs it, as npm start points at .local/stack.json.
const credentialsFile = join(dataDir, 'credentials.json');
const printed = (name: string, value: string) =>
  name === 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'
    ? `"$(node -p 'require(${JSON.stringify(credentialsFile)})[0].accessKeySecret')"`
    : `'${value}'`;
console.log(`Emulator up (data in ${dataDir}). Point the project at it with:\n`);
for (const [k, v] of Object.entries(emulator.env())) console.log(`export ${k}=${printed(k, v)}`);
console.log('\nListeners (TCPSSL):');
for (const l of emulator.listeners) {
  const mutualAuth = emulator.nlb.getListener(l.listenerId)?.CaEnabled ? 'on' : 'off';
  console.log(
    `  ${l.listenerId} (:${l.listenerPort}, mutual auth ${mutualAuth})  curl --cacert ${rootFile} --resolve ${l.host}:${l.port}:127.0.0.1 https://${l.host}:${l.port}/`,
  );
}
console.log(`\nPCA sub-CA (ParentIdentifier): ${emulator.ca.subCaIdentifier}   root CA: ${emulator.ca.rootIdentifier}`);

const stop = () => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
