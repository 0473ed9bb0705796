/**
 * `doctor --validate DIR`: holds the answers `doctor --record DIR` saved (from the local stack or a real account) to
 * the committed contracts, so a user can see that the real cloud answers the way the contracts, and with them the
 * emulator, say it does. Each file's request must use only the action's parameters (in the form the SDK sends
 * them) and carry its required ones; its answer must keep the response model; and nothing secret may be left in it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkRpcRequest } from '../emulator/contracts/check-request.js';
import { checkValue } from '../emulator/contracts/check-response.js';
import { contractFor, type Contract } from '../emulator/contracts/load.js';
import type { RecordedCall } from './record.js';

export interface RecordingFinding {
  /** The file, relative to the recording's folder. */
  file: string;
  /** What strays from the contract; empty when the file keeps it. */
  problems: string[];
}

const UNREDACTED = [
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: 'a private key' },
  { pattern: /\b\d{16}\b/, what: 'a 16-digit account id' },
];

/** `{A: [x, y], B: {C: 1}}` -> `{'A.1': 'x', 'A.2': 'y', 'B.C': '1'}`: the parameters as the RPC caller sends them. */
export function flattenRpcParameters(params: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === undefined || v === null) continue;
    if (Array.isArray(v))
      v.forEach((item, i) => {
        if (item && typeof item === 'object')
          Object.assign(out, flattenRpcParameters(item as Record<string, unknown>, `${key}.${i + 1}`));
        else out[`${key}.${i + 1}`] = String(item);
      });
    else if (typeof v === 'object') Object.assign(out, flattenRpcParameters(v as Record<string, unknown>, key));
    else out[key] = String(v);
  }
  return out;
}

function requestProblems(contract: Contract, request: Record<string, unknown>): string[] {
  if (contract.http.style === 'RPC') {
    const found = checkRpcRequest(contract, flattenRpcParameters(request));
    return [
      ...found.violations,
      ...(found.missing ? [`required parameter ${found.missing} is missing`] : []),
      ...(found.invalid ? [`${found.invalid.name}: ${found.invalid.why}`] : []),
    ];
  }
  // ROA (FC): the recorded request holds the path's and the query's parameters by name.
  const names = new Map(contract.request.parameters.map((p) => [p.name, p]));
  return [
    ...Object.keys(request)
      .filter((k) => !names.has(k))
      .map((k) => `parameter ${k} is not a parameter of ${contract.action}`),
    ...contract.request.parameters
      .filter((p) => p.required && p.in === 'path' && request[p.name] === undefined)
      .map((p) => `required parameter ${p.name} is missing`),
  ];
}

/** Checks one recorded call (the text of a file `--record` wrote): its problems, none when it keeps its contract. */
export function validateRecordedCall(text: string): string[] {
  let call: RecordedCall;
  try {
    call = JSON.parse(text) as RecordedCall;
  } catch {
    return ['not JSON'];
  }
  if (!call || typeof call !== 'object' || !call.product || !call.version || !call.action)
    return ['not a recorded call ({product, version, action, request, response})'];
  const contract = contractFor(call.product, call.version, call.action);
  if (!contract) return [`no contract for ${call.product} ${call.version} ${call.action} in contracts/`];
  const body = contract.response.body;
  return [
    ...requestProblems(contract, call.request ?? {}).map((p) => `request: ${p}`),
    ...(body ? checkValue(body, call.response) : []).map((p) => `response ${p}`),
    ...UNREDACTED.filter((u) => u.pattern.test(text)).map((u) => `holds ${u.what}: record it again to redact it`),
  ];
}

/** Every `*.json` under `dir` (the layout `--record` writes: `<product>-<version>/<Action>.<n>.json`). */
export function validateRecording(dir: string): RecordingFinding[] {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir} is not a directory`);
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, problems: validateRecordedCall(readFileSync(join(dir, file), 'utf8')) }));
}

export function renderRecordingFindings(dir: string, findings: RecordingFinding[]): string {
  const bad = findings.filter((f) => f.problems.length > 0);
  const lines = findings.flatMap((f) =>
    f.problems.length === 0 ? [`OK    ${f.file}`] : f.problems.map((p) => `FAIL  ${f.file}: ${p}`),
  );
  lines.push(
    '',
    findings.length === 0
      ? `validate: no recorded answers in ${dir}`
      : `validate: ${findings.length - bad.length} of ${findings.length} recorded answers keep their contracts${bad.length ? `, ${bad.length} do not` : ''}`,
  );
  return lines.join('\n');
}
