// What a field's doc comment in the generated SDK states in a form a checker can use: required, an example, the
// valid values (enum or numeric range) and an array's item limit. Only plain, recognisable statements are taken;
// anything else stays in `description` for people to read.

/** The generator writes `**x**` bullets as `**x*\t- `; put the markdown back before reading it. */
export function normalizeDoc(doc) {
  return doc.replace(/\*\t- /g, '** ').replace(/\r/g, '');
}

export function firstSentence(doc) {
  const text = normalizeDoc(doc)
    .split('\n')
    .filter((l) => l.trim() && !/^<props=/.test(l))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const m = text.match(/^(.*?[.!?])(\s|$)/);
  const sentence = (m ? m[1] : text).replace(/\*\*/g, '');
  return sentence.length > 200 ? `${sentence.slice(0, 197)}...` : sentence;
}

export function isRequired(doc, tags) {
  return /(^|\n)This parameter is required\./.test(doc) || tags.require === 'true';
}

export function exampleOf(doc) {
  const lines = doc.split('\n');
  const i = lines.findIndex((l) => l.trim() === 'example:');
  if (i < 0) return undefined;
  const value = lines.slice(i + 1).find((l) => l.trim() !== '');
  return value?.trim();
}

const TOKEN = /^[A-Za-z0-9_.:@/-]+$/;

/** `Valid values:` followed by `**a**, **b**, and **c**` on the line, or by bullets `- **a**...` / `- a: ...`. */
export function validValuesOf(doc) {
  const text = normalizeDoc(doc);
  // "System and custom policies are supported": the listed values are not the only ones.
  if (/custom/i.test(text)) return undefined;
  const at = text.search(/Valid values:/);
  if (at < 0) return undefined;
  // A "Valid values" inside a bullet describes a member of a structured value (e.g. Sans' Type), not this field.
  const lineStart = text.lastIndexOf('\n', at) + 1;
  if (/^\s*-/.test(text.slice(lineStart, at))) return undefined;
  const after = text.slice(at + 'Valid values:'.length);
  const [firstLine, ...rest] = after.split('\n');
  const range = firstLine.match(/^\s*\*\*(-?\d+)\*\*\s*to\s*\*\*(-?\d+)\*\*/);
  if (range) return { range: { min: Number(range[1]), max: Number(range[2]) } };
  const inline = [...firstLine.matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1].trim());
  if (inline.length >= 2 && inline.every((t) => TOKEN.test(t))) return { enum: inline };
  const values = [];
  for (const line of rest) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const bullet = trimmed.match(/^-\s+(?:\*\*([^*]+)\*\*|([A-Za-z0-9_.-]+):)/);
    if (!bullet) break;
    values.push((bullet[1] ?? bullet[2]).trim());
  }
  return values.length >= 2 && values.every((t) => TOKEN.test(t)) ? { enum: values } : undefined;
}

/** "You can specify up to 20 listeners." on an array parameter. */
export function maxItemsOf(doc) {
  const m = normalizeDoc(doc).match(/(?:specify|enter|query|associate) (?:up to|at most) \*{0,2}(\d+)\*{0,2}/i);
  return m ? Number(m[1]) : undefined;
}

/** A string field that carries JSON ("a string that is converted from a JSON array"). */
export function jsonFormatOf(doc) {
  const text = normalizeDoc(doc);
  if (/converted from a JSON array|JSON array string|a JSON-formatted array/i.test(text)) return 'json-array';
  if (/converted from a JSON (object|struct)|JSON string/i.test(text)) return 'json';
  return undefined;
}
