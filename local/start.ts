/**
 * `npm start`: the emulator and every function of s.yaml on fixed local ports, state under `.local/`, timers on
 * their cron. Writes `.local/stack.json` and `.local/root.crt`, prints how to try it, runs until Ctrl-C.
 * Ports: LOCAL_API_PORT (9000), LOCAL_CONTROL_PORT (9100), LOCAL_RPC_PORT (8701), LOCAL_OSS_PORT (8702),
 * LOCAL_FC_PORT (8703), LOCAL_LISTENER_PORTS (8443,8444: the emulated NLB listeners); LOCAL_TIMERS=false turns
 * the timer triggers off; LOCAL_DATA_DIR moves `.local/`; LOG_FORMAT=json|pretty (default: pretty on a terminal).
 * Function variables are overridden from `.local/functions.env` (LOCAL_FUNCTION_ENV_FILE moves it;
 * docs/local-emulator.md); PCA_PARENT_IDENTIFIER makes the functions issue from another sub-CA of the emulator
 * (after a CA rotation's switch, docs/rotation.md).
 * `.local/` holds secrets (dev token, webhook secret, emulator keys, CA keys, every bundle): it is 0700 with 0600
 * files, modes of existing files are repaired at start, and nothing secret is printed: only where to find it.
 */
import { join, relative } from 'node:path';
import { localPorts, portVariableOf } from './ports.js';
import { formatLogLine, logFormatOptions } from './runner/log-format.js';
import { startLocalStack, type LocalStack } from './stack.js';
import { CAS_ALGORITHMS, type CasAlgorithm } from './emulator/cas/pca.js';
import { restrictTree } from './runner/private-files.js';
import { localDesiredStateFile } from './runner/desired-state-file.js';
import { DEFAULT_DATA_DIR, PROJECT_ROOT } from './runner/stack-file.js';
import { functionEnvFilePath } from './runner/function-env-file.js';

function tryIt(stack: LocalStack, dataDir: string): string {
  const dir = relative(process.cwd(), dataDir) || '.';
  const l = stack.stackInfo.listeners[0];
  return [
    '',
    `Local stack is up. Details: ${dir}/stack.json (dev token, dev webhook secret, endpoints, CA), root CA: ${dir}/root.crt`,
    `  Secrets are not printed: they are in ${dir}/stack.json and ${dir}/secrets.json (owner-only files).`,
    `  cert-api      ${stack.apiUrl}`,
    `  control       ${stack.controlUrl}   (POST /functions/<fn>/invoke, /events, /timers/<fn>, /faults; GET /calls)`,
    `  emulator      rpc ${stack.stackInfo.emulator.rpcEndpoint}  oss ${stack.stackInfo.emulator.ossEndpoint}  fc ${stack.stackInfo.emulator.fcEndpoint}`,
    ...stack.stackInfo.listeners.map((x) => `  NLB listener  ${x.listenerId}  ${x.host}:${x.port} (TLS on 127.0.0.1)`),
    '',
    'Try it in a second terminal (full walkthrough: docs/quickstart.md); the files stay in ' + dir + '/:',
    `  cd ${dir} && TOKEN=$(node -p "require('./stack.json').devToken") && API=$(node -p "require('./stack.json').apiUrl")`,
    `  curl -s -X POST "$API/v1/certificates" -H "Authorization: Bearer $TOKEN" \\`,
    `       -H 'Content-Type: application/json' -d '{"commonName":"device-1.example.com"}' > cert.json`,
    `  curl -fsS -o client.p12 "$(node -p "require('./cert.json').downloads.p12.url")"`,
    `  openssl pkcs12 -in client.p12 -info -noout -passin pass:"$(node -p "require('./cert.json').p12Password")"`,
    ...(l
      ? [
          `  npm run reconcile -- --apply    # mutual TLS on for ${l.listenerId}, proven by a handshake`,
          `  curl --cert-type P12 --cert client.p12:"$(node -p "require('./cert.json').p12Password")" --cacert root.crt \\`,
          `       --resolve ${l.host}:${l.port}:127.0.0.1 https://${l.host}:${l.port}/`,
        ]
      : []),
    '',
    'Webhooks: events for tenant dev are signed with stack.json devWebhookSecret (Standard Webhooks); a receiver:',
    `  WEBHOOK_SECRET="$(node -p "require('./stack.json').devWebhookSecret")" node ${relative(dataDir, join(PROJECT_ROOT, 'docs/examples/webhook-receiver.mjs'))}   # in ${dir}/`,
    '',
    'Ctrl-C stops it; state stays in ' + dir + '/ for the next start.',
  ].join('\n');
}

/** What `npm start` prints of stack.json: endpoints and ids, never the token or a key. */
function printableStackInfo(info: LocalStack['stackInfo']): Record<string, unknown> {
  const { devToken: _token, devWebhookSecret: _webhook, emulator, ca, ...rest } = info;
  const { accessKeySecret: _secret, ...emulatorFacts } = emulator;
  return {
    ...rest,
    emulator: emulatorFacts,
    ca: { rootIdentifier: ca.rootIdentifier, subCaIdentifier: ca.subCaIdentifier },
  };
}

/**
 * LOCAL_CA_KEY_ALGORITHM: the key family of a NEW local CA (CAS certifies only client keys of its sub-CA's family:
 * docs/cloud-fidelity.md, D9). Default ECC_256 (EC_P256 clients); RSA_2048 for RSA clients. A `.local/` that already
 * holds a CA keeps it.
 */
function caKeyAlgorithm(env: NodeJS.ProcessEnv): CasAlgorithm | undefined {
  const raw = env.LOCAL_CA_KEY_ALGORITHM;
  if (!raw) return undefined;
  if (!(CAS_ALGORITHMS as readonly string[]).includes(raw))
    throw new Error(`LOCAL_CA_KEY_ALGORITHM must be one of ${CAS_ALGORITHMS.join(', ')} (got ${raw})`);
  return raw as CasAlgorithm;
}

async function main(): Promise<void> {
  const caKey = caKeyAlgorithm(process.env);
  const dataDir = process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
  // Readable log lines on a terminal, JSON lines when piped (LOG_FORMAT=json|pretty decides otherwise).
  const logs = logFormatOptions(process.env, Boolean(process.stdout.isTTY));
  // Everything this process creates is owner-only; what an earlier version left readable is repaired now.
  process.umask(0o077);
  restrictTree(dataDir);
  const stack = await startLocalStack({
    dataDir,
    sYamlPath: `${PROJECT_ROOT}/s.yaml`,
    ports: localPorts(),
    timers: process.env.LOCAL_TIMERS !== 'false',
    ...(caKey ? { emulatorOptions: { caKeyAlgorithm: caKey } } : {}),
    ...(process.env.PCA_PARENT_IDENTIFIER ? { issuingSubCa: process.env.PCA_PARENT_IDENTIFIER } : {}),
    writeStackFile: true,
    functionEnvFile: functionEnvFilePath(dataDir),
    // One desired state for this stack's reconcile-listeners and `npm run reconcile` (local/runner/desired-state-file.ts).
    desiredStateFile: localDesiredStateFile(dataDir),
    log: (line) => process.stdout.write(formatLogLine(line, logs) + '\n'),
  });
  console.log(JSON.stringify(printableStackInfo(stack.stackInfo), null, 2));
  console.log(tryIt(stack, dataDir));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    stack.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  if ((err as { code?: string }).code === 'EADDRINUSE') {
    // Name the variable that moves the taken port, so the user need not map ports to variables by hand.
    const taken = (err as { port?: number }).port;
    let variable: string | undefined;
    try {
      variable = taken === undefined ? undefined : portVariableOf(taken, localPorts());
    } catch {
      variable = undefined;
    }
    console.error(
      variable
        ? `Port ${taken} (${variable}) is taken: is another \`npm start\` running? Move it, e.g. ${variable}=<a free port> npm start (docs/quickstart.md lists every port variable).`
        : 'A port is taken: is another `npm start` running? Move the ports with the LOCAL_*_PORT(S) variables (docs/quickstart.md).',
    );
  }
  process.exit(1);
});
