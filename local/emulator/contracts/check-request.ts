/**
 * Checks one RPC request's parameters (query and form body merged, arrays flattened as `Name.N`) against its
 * contract. Three kinds of finding:
 *  - violations: a parameter the action does not have, or a value sent in the wrong form (`Name` for a list,
 *    `Name.1` for a single value). The real gateway may ignore such a parameter silently, which is how a wrong
 *    assumption (ClientToken on CreateClientCertificateWithCsr) survives: the emulator fails it loudly.
 *  - missing: a parameter the model marks required -> the gateway's `MissingParameter`.
 *  - invalid: a value of the wrong type, outside the valid values or range, or too many list items -> the
 *    emulator answers `InvalidParameter` (the exact code the service uses is ASSUMED; docs/cloud-fidelity.md).
 */
import type { Contract, ParameterContract, Schema } from './load.js';

export interface RequestFindings {
  violations: string[];
  missing?: string;
  invalid?: { name: string; why: string };
}

const INDEX = /^[1-9]\d*$/;

/** Why `value` does not fit the scalar schema, or undefined when it does. */
export function scalarProblem(schema: Schema, value: string): string | undefined {
  switch (schema.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(value)) return 'An integer is expected.';
      const n = Number(value);
      if (schema.range && (n < schema.range.min || n > schema.range.max))
        return `The value must be from ${schema.range.min} to ${schema.range.max}.`;
      if (schema.enum && !schema.enum.includes(n)) return `Valid values: ${schema.enum.join(', ')}.`;
      return undefined;
    }
    case 'number':
      return Number.isFinite(Number(value)) && value.trim() !== '' ? undefined : 'A number is expected.';
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'A boolean (true or false) is expected.';
    case 'string':
      if (schema.enum && !schema.enum.includes(value)) return `Valid values: ${schema.enum.join(', ')}.`;
      return undefined;
    default:
      return undefined;
  }
}

export function checkRpcRequest(contract: Contract, values: Record<string, string>): RequestFindings {
  const params = new Map<string, ParameterContract>(
    contract.request.parameters.filter((p) => p.in === 'query' || p.in === 'body').map((p) => [p.name, p]),
  );
  const violations: string[] = [];
  const listItems = new Map<string, Array<[number, string]>>();
  let invalid: RequestFindings['invalid'];
  const problem = (name: string, why: string | undefined) => {
    if (why && !invalid) invalid = { name, why };
  };

  for (const [key, value] of Object.entries(values)) {
    const [top, ...rest] = key.split('.');
    const p = params.get(top);
    if (!p) {
      violations.push(`parameter ${top} is not a parameter of ${contract.action}`);
      continue;
    }
    if (p.style === 'repeatList') {
      if (rest.length === 0 || !INDEX.test(rest[0])) {
        violations.push(`${p.name} is a list: send ${p.name}.1, ${p.name}.2, ... (got ${key})`);
        continue;
      }
      const item = p.items!;
      if (item.type === 'object') {
        if (rest.length < 2 || !item.properties?.[rest[1]])
          violations.push(`${key}: ${p.name} items have no field ${rest[1] ?? '(none)'}`);
        continue;
      }
      if (rest.length > 1) {
        violations.push(`${key}: ${p.name} items are single values`);
        continue;
      }
      const items = listItems.get(p.name) ?? [];
      items.push([Number(rest[0]), value]);
      listItems.set(p.name, items);
      problem(key, scalarProblem(item, value));
      continue;
    }
    if (p.style === 'flatten') {
      if (rest.length === 0 || !p.properties?.[rest[0]])
        violations.push(`${key}: ${p.name} is an object sent as ${p.name}.<Field>; it has no field ${rest[0] ?? ''}`);
      continue;
    }
    if (rest.length > 0) {
      violations.push(`${p.name} is a single value, sent as ${key}`);
      continue;
    }
    if (p.style === 'json') {
      try {
        JSON.parse(value);
      } catch {
        violations.push(`${p.name} is sent as one JSON string; got text that is not JSON`);
      }
      continue;
    }
    if (value !== '') problem(key, scalarProblem(p, value));
  }

  for (const [name, items] of listItems) {
    const p = params.get(name)!;
    if (p.maxItems && items.length > p.maxItems) problem(name, `At most ${p.maxItems} items are allowed.`);
  }
  const present = (p: ParameterContract) =>
    Object.keys(values).some((k) => (k === p.name && values[k] !== '') || k.startsWith(`${p.name}.`));
  const missing = [...params.values()].find((p) => p.required && !present(p))?.name;
  return { violations, ...(missing ? { missing } : {}), ...(invalid ? { invalid } : {}) };
}

/**
 * A ROA request (FC's InvokeFunction): the product's own `x-<prefix>-` headers and the query keys must be
 * parameters of the action. Other headers (signature, content type) belong to the protocol, not the action.
 */
export function checkRoaRequest(
  contract: Contract,
  request: { headers: Record<string, string | string[] | undefined>; query: string[]; headerPrefix: string },
): string[] {
  const headers = new Set(contract.request.parameters.filter((p) => p.in === 'header').map((p) => p.name));
  const query = new Set(contract.request.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const violations: string[] = [];
  for (const name of Object.keys(request.headers)) {
    if (name.startsWith(request.headerPrefix) && !headers.has(name))
      violations.push(`header ${name} is not a parameter of ${contract.action}`);
  }
  for (const key of request.query)
    if (!query.has(key)) violations.push(`query parameter ${key} is not a parameter of ${contract.action}`);
  return violations;
}
