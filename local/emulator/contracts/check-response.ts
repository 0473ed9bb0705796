/**
 * Checks an answer against the response model of its contract: every field must be one the model has, with the
 * model's type (nested objects and lists included), a listed value where the model lists them, and JSON where the
 * model says a string carries JSON. Fields the model has but the answer lacks are allowed: real answers omit
 * empty fields too. The same check validates `doctor --record` files (test/unit/doctor).
 */
import type { Schema } from './load.js';

function typeProblem(schema: Schema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return `expected a string, got ${JSON.stringify(value)}`;
      if (schema.format === 'json-array') {
        try {
          if (!Array.isArray(JSON.parse(value))) return 'expected a JSON array in a string';
        } catch {
          return 'expected a JSON array in a string';
        }
      }
      if (schema.enum && !schema.enum.includes(value)) return `${JSON.stringify(value)} is not one of ${schema.enum}`;
      return undefined;
    case 'integer':
      if (!Number.isInteger(value)) return `expected an integer, got ${JSON.stringify(value)}`;
      if (schema.enum && !schema.enum.includes(value as number))
        return `${JSON.stringify(value)} is not one of ${schema.enum}`;
      return undefined;
    case 'number':
      return typeof value === 'number' ? undefined : `expected a number, got ${JSON.stringify(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected a boolean, got ${JSON.stringify(value)}`;
    default:
      return undefined;
  }
}

/** Every way `value` strays from `schema`, as `path: why` lines. */
export function checkValue(schema: Schema, value: unknown, path = '$'): string[] {
  if (value === null || value === undefined) return [];
  if (schema.type === 'any' || schema.type === 'binary') return [];
  if (schema.type === 'array') {
    if (!Array.isArray(value)) return [`${path}: expected a list, got ${JSON.stringify(value)?.slice(0, 80)}`];
    return value.flatMap((item, i) => checkValue(schema.items!, item, `${path}[${i}]`));
  }
  if (schema.type === 'object' || schema.type === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
    const out: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (schema.type === 'map') out.push(...checkValue(schema.values!, v, `${path}.${k}`));
      else if (schema.properties?.[k]) out.push(...checkValue(schema.properties[k], v, `${path}.${k}`));
      else if (!schema.additionalProperties) out.push(`${path}.${k}: not a field of the response model`);
    }
    return out;
  }
  const why = typeProblem(schema, value);
  return why ? [`${path}: ${why}`] : [];
}
