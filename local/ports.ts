/**
 * The local ports: one set of variables for `npm start` and for the emulator alone (`local/emulator/main.ts`), so a
 * moved port moves everywhere. Commands that need an endpoint read it from `.local/stack.json`, never a default.
 */
export interface LocalPorts {
  api: number;
  control: number;
  rpc: number;
  oss: number;
  fc: number;
  /** The emulated NLB listeners' local TLS ports, in the order the emulator seeds them. */
  listeners: number[];
}

/** Variable -> default. */
export const PORT_VARIABLES = {
  LOCAL_API_PORT: 9000,
  LOCAL_CONTROL_PORT: 9100,
  LOCAL_RPC_PORT: 8701,
  LOCAL_OSS_PORT: 8702,
  LOCAL_FC_PORT: 8703,
  LOCAL_LISTENER_PORTS: [8443, 8444],
} as const;

function port(env: NodeJS.ProcessEnv, name: keyof typeof PORT_VARIABLES, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (got ${raw})`);
  return n;
}

function portList(env: NodeJS.ProcessEnv, name: 'LOCAL_LISTENER_PORTS', fallback: readonly number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return [...fallback];
  return raw.split(',').map((p, i) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new Error(`${name} must be comma-separated port numbers (item ${i + 1}: ${p})`);
    return n;
  });
}

/** The ports from LOCAL_*_PORT(S), with the defaults above; 0 means a free port. */
export function localPorts(env: NodeJS.ProcessEnv = process.env): LocalPorts {
  const v = PORT_VARIABLES;
  return {
    api: port(env, 'LOCAL_API_PORT', v.LOCAL_API_PORT),
    control: port(env, 'LOCAL_CONTROL_PORT', v.LOCAL_CONTROL_PORT),
    rpc: port(env, 'LOCAL_RPC_PORT', v.LOCAL_RPC_PORT),
    oss: port(env, 'LOCAL_OSS_PORT', v.LOCAL_OSS_PORT),
    fc: port(env, 'LOCAL_FC_PORT', v.LOCAL_FC_PORT),
    listeners: portList(env, 'LOCAL_LISTENER_PORTS', v.LOCAL_LISTENER_PORTS),
  };
}

/** The variable that moves `port` (for "port N is taken" errors), or undefined when it is none of `ports`. */
export function portVariableOf(port: number, ports: LocalPorts): keyof typeof PORT_VARIABLES | undefined {
  if (port === ports.api) return 'LOCAL_API_PORT';
  if (port === ports.control) return 'LOCAL_CONTROL_PORT';
  if (port === ports.rpc) return 'LOCAL_RPC_PORT';
  if (port === ports.oss) return 'LOCAL_OSS_PORT';
  if (port === ports.fc) return 'LOCAL_FC_PORT';
  if (ports.listeners.includes(port)) return 'LOCAL_LISTENER_PORTS';
  return undefined;
}
