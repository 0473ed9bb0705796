// Turns the parsed Go models of one action into our contract JSON: request parameters (where each travels, its
// type, required, valid values, serialization) and the response body's fields with their nesting.
import { exampleOf, firstSentence, isRequired, jsonFormatOf, maxItemsOf, validValuesOf } from './docs.mjs';

const SCALARS = {
  string: 'string',
  bool: 'boolean',
  int: 'integer',
  int32: 'integer',
  int64: 'integer',
  float32: 'number',
  float64: 'number',
};

/** A Go type as a contract schema; struct types are expanded (nested objects keep their field docs). */
export function schemaOf(goType, structs, stack = []) {
  const t = goType.replace(/^\*/, '');
  if (SCALARS[t]) return { type: SCALARS[t] };
  if (t === 'io.Reader') return { type: 'binary' };
  if (t === 'interface{}' || t === 'any') return { type: 'any' };
  if (t.startsWith('[]')) return { type: 'array', items: schemaOf(t.slice(2), structs, stack) };
  const map = t.match(/^map\[string\](.+)$/);
  if (map) {
    const values = schemaOf(map[1], structs, stack);
    return values.type === 'any' ? { type: 'object', additionalProperties: true } : { type: 'map', values };
  }
  const struct = structs.get(t);
  if (!struct) throw new Error(`unknown Go type ${goType}`);
  if (stack.includes(t)) return { type: 'object', additionalProperties: true, recursive: t };
  return { type: 'object', properties: propertiesOf(struct, structs, [...stack, t]) };
}

function annotate(schema, field) {
  const out = { ...schema };
  const description = firstSentence(field.doc);
  if (description) out.description = description;
  const example = exampleOf(field.doc);
  if (example !== undefined) out.example = example;
  const values = schema.type === 'boolean' ? undefined : validValuesOf(field.doc);
  if (values?.enum) out.enum = schema.type === 'integer' ? values.enum.map(Number) : values.enum;
  if (values?.range) out.range = values.range;
  const format = schema.type === 'string' ? jsonFormatOf(field.doc) : undefined;
  if (format) out.format = format;
  if (schema.type === 'array') {
    const maxItems = maxItemsOf(field.doc);
    if (maxItems) out.maxItems = maxItems;
  }
  return out;
}

function propertiesOf(struct, structs, stack) {
  const props = {};
  for (const f of struct.fields) props[f.wire] = annotate(schemaOf(f.goType, structs, stack), f);
  return props;
}

/** How a value travels: flat, `Name.N` (and `Name.N.Field`), `Name.Field`, or one JSON string (the SDK's "shrink" fields). */
function serialization(schema, style) {
  if (style === 'json') return 'json';
  if (style) return style;
  if (schema.type === 'array') return 'repeatList';
  return schema.type === 'object' ? 'flatten' : 'flat';
}

export function buildContract({ product, version, repository, commit, structs, op, summary }) {
  const parameters = [];
  const paths = new Set(['client/client.go']);
  for (const arg of op.pathArgs) {
    parameters.push({ name: arg, in: 'path', type: 'string', required: true, style: 'flat' });
  }
  if (op.request) {
    const struct = structs.get(op.request);
    paths.add(struct.file);
    for (const f of struct.fields) {
      if (f.goName === 'Body' && op.streamBody) {
        parameters.push({ name: 'body', in: 'body', type: 'binary', required: false, style: 'stream' });
        continue;
      }
      const where = op.placement.get(f.goName);
      if (!where) continue; // a model field the call never sends
      const schema = annotate(schemaOf(f.goType, structs), f);
      parameters.push({
        name: where.wire,
        in: where.in,
        ...schema,
        required: isRequired(f.doc, f.tags),
        style: serialization(schema, op.styles.get(f.goName)),
      });
    }
  }
  if (op.headers) {
    const struct = structs.get(op.headers);
    paths.add(struct.file);
    for (const f of struct.fields) {
      const where = op.placement.get(`header:${f.goName}`);
      if (!where) continue;
      const schema = annotate(schemaOf(f.goType, structs), f);
      parameters.push({
        name: where.wire,
        in: 'header',
        ...schema,
        required: isRequired(f.doc, f.tags),
        style: 'flat',
      });
    }
  }
  const response = structs.get(op.responseType);
  paths.add(response.file);
  const bodyField = response.fields.find((f) => f.goName === 'Body');
  let body;
  if (bodyField) {
    const bodyType = bodyField.goType.replace(/^\*/, '');
    if (structs.has(bodyType)) paths.add(structs.get(bodyType).file);
    body = schemaOf(bodyField.goType, structs);
  }
  const headers = response.fields.find((f) => f.goName === 'Headers');
  return {
    product,
    version,
    action: op.action,
    ...(summary ? { summary } : {}),
    source: { repository, commit, paths: [...paths].sort() },
    http: op.http,
    request: { parameters },
    response: {
      ...(body ? { body } : {}),
      ...(headers ? { headers: { type: 'map', values: { type: 'string' } } } : {}),
    },
  };
}
