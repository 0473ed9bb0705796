/**
 * Reads s.yaml the way Serverless Devs does for the parts we use: `${env('NAME', 'default')}`,
 * `${env('NAME')}` and `${vars.x}` are resolved, so tests and the local runner see the props `s deploy` sends.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface FcTrigger {
  triggerName: string;
  triggerType: string;
  triggerConfig: Record<string, unknown>;
}
export interface FcFunctionProps {
  region: string;
  functionName: string;
  runtime: string;
  code: string;
  handler: string;
  timeout?: number;
  memorySize?: number;
  environmentVariables?: Record<string, string>;
  triggers?: FcTrigger[];
  asyncInvokeConfig?: Record<string, unknown>;
  [key: string]: unknown;
}
export interface SYaml {
  edition: string;
  name: string;
  resources: Record<string, { component: string; props: FcFunctionProps }>;
}

export function loadSYaml(path = 's.yaml', env: Record<string, string | undefined> = process.env): SYaml {
  const raw = parse(readFileSync(path, 'utf8')) as { vars?: Record<string, unknown> } & SYaml;
  const envValue = (name: string, fallback?: string) => env[name] ?? fallback ?? `<${name}>`;
  const resolveString = (s: string, vars: Record<string, unknown>): unknown => {
    const whole = s.match(/^\$\{([^}]+)\}$/);
    const evalExpr = (expr: string): unknown => {
      const e = expr.trim();
      const envCall = e.match(/^env\(\s*'([^']+)'\s*(?:,\s*'([^']*)'\s*)?\)$/);
      if (envCall) return envValue(envCall[1], envCall[2]);
      const varRef = e.match(/^vars\.([A-Za-z0-9_]+)$/);
      if (varRef) return vars[varRef[1]];
      throw new Error(`s.yaml: unsupported expression \${${e}}`);
    };
    if (whole) return evalExpr(whole[1]);
    return s.replace(/\$\{([^}]+)\}/g, (_, expr: string) => String(evalExpr(expr)));
  };
  const walk = (node: unknown, vars: Record<string, unknown>): unknown => {
    if (typeof node === 'string') return resolveString(node, vars);
    if (Array.isArray(node)) return node.map((n) => walk(n, vars));
    if (node && typeof node === 'object')
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, vars)]));
    return node;
  };
  const vars = walk(raw.vars ?? {}, {}) as Record<string, unknown>;
  return walk({ ...raw, vars: undefined }, vars) as SYaml;
}
