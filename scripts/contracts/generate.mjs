#!/usr/bin/env node
// `npm run contracts -- --mirror DIR` | `--source owner/name=PATH ...`: reads Alibaba's generated Go SDK models
// (the repositories in scripts/contracts/sources.json) and writes our own machine-readable contracts to
// contracts/<product>-<version>/<Action>.json (+ _vocabulary.json), each naming its source repository, paths and
// commit. No SDK code is copied: only names, types, required flags, valid values and examples are taken.
// How to obtain the sources: docs/cloud-fidelity.md ("Regenerating the contracts").
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildContract } from './build.mjs';
import { exampleOf, normalizeDoc } from './docs.mjs';
import { parseOperations, parseStructs, summaryOf } from './go-models.mjs';
import { readGoSdk } from './go-source.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const config = JSON.parse(readFileSync(join(here, 'sources.json'), 'utf8'));
const documented = JSON.parse(readFileSync(join(here, 'documented-errors.json'), 'utf8'));

const USAGE = `usage: npm run contracts -- (--mirror DIR | --source owner/name=PATH ...) [--out DIR] [--check]
  --mirror DIR    find each repository as DIR/<owner>+<name>/repo, DIR/<owner>+<name> or DIR/<name>
  --source R=P    repository R (e.g. alibabacloud-go/nlb-20220430) is at P (a checkout or a git directory)
  --out DIR       where to write (default: contracts/)
  --check         write nothing; exit 1 when the committed contracts differ from what the sources give`;

const { values } = parseArgs({
  options: {
    mirror: { type: 'string' },
    source: { type: 'string', multiple: true },
    out: { type: 'string' },
    check: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || (!values.mirror && !values.source)) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const explicit = new Map((values.source ?? []).map((s) => s.split(/=(.*)/s, 2)));
function locate(repository) {
  if (explicit.has(repository)) return explicit.get(repository);
  const [owner, name] = repository.split('/');
  for (const candidate of [`${owner}+${name}/repo`, `${owner}+${name}`, name]) {
    const path = join(values.mirror ?? '.', candidate);
    if (values.mirror && existsSync(path)) return path;
  }
  throw new Error(`no source for ${repository}: pass --source ${repository}=PATH or --mirror DIR`);
}

function errorsFor(product, version, action) {
  const key = `${product}/${version}`;
  const listed = documented.errors[`${key}/${action}`];
  if (listed) return { errors: listed.map((e) => ({ ...e, source: documented.sources[e.source] ?? e.source })) };
  return { errors: [], errorsNote: documented.undocumented[key] ?? 'No error codes are documented for this action.' };
}

/** `client.EndpointRule` and `client.EndpointMap` of client.go: where the SDK sends a region's calls. */
function endpoints(files, repository) {
  const text = files.find((f) => f.path === 'client/client.go')?.text ?? '';
  const rule = text.match(/client\.EndpointRule = (?:tea|dara)\.String\("([^"]*)"\)/)?.[1];
  const block = text.match(/client\.EndpointMap = map\[string\]\*string\{([\s\S]*?)\n\t\}/)?.[1] ?? '';
  const map = Object.fromEntries(
    [...block.matchAll(/"([^"]+)":\s*(?:tea|dara)\.String\("([^"]+)"\)/g)].map((m) => [m[1], m[2]]),
  );
  return { rule, map, source: { repository, fields: ['client.go: client.EndpointRule, client.EndpointMap'] } };
}

function vocabulary(entry, structs, repository) {
  const fields = [...structs.entries()]
    .filter(([name]) => !entry.struct || name === entry.struct)
    .flatMap(([name, s]) => s.fields.filter((f) => f.goName === entry.field).map((f) => ({ struct: name, f })));
  if (fields.length === 0) throw new Error(`vocabulary ${entry.name}: no field ${entry.struct ?? '*'}.${entry.field}`);
  let found;
  if (entry.take === 'matches') {
    const re = new RegExp(entry.pattern, 'g');
    found = [...new Set(fields.flatMap(({ f }) => normalizeDoc(f.doc).match(re) ?? []))];
  } else if (entry.take === 'examples') {
    const re = entry.pattern ? new RegExp(entry.pattern) : undefined;
    found = [...new Set(fields.map(({ f }) => exampleOf(f.doc)).filter((e) => e && (!re || re.test(e))))].sort();
  } else if (entry.take === 'sentence') {
    const re = new RegExp(entry.pattern);
    found = [...new Set(fields.map(({ f }) => normalizeDoc(f.doc).match(re)?.[0]).filter(Boolean))];
  } else throw new Error(`vocabulary ${entry.name}: unknown take ${entry.take}`);
  if (found.length === 0) throw new Error(`vocabulary ${entry.name}: nothing found`);
  return {
    values: found,
    source: { repository, fields: [...new Set(fields.map(({ struct }) => `${struct}.${entry.field}`))].sort() },
  };
}

const outDir = values.out ?? join(root, 'contracts');
const written = new Map();
for (const p of config.products) {
  const path = locate(p.repository);
  const sdk = readGoSdk(path);
  const structs = parseStructs(sdk.files);
  const ops = parseOperations(sdk.files);
  const dir = `${p.product}-${p.version}`;
  for (const action of p.actions) {
    const op = ops.get(action);
    if (!op) throw new Error(`${p.repository}: no ${action}WithOptions in client/client.go`);
    const contract = buildContract({
      product: p.product,
      version: p.version,
      repository: p.repository,
      commit: sdk.commit,
      structs,
      op,
      summary: summaryOf(sdk.files, action),
    });
    written.set(join(dir, `${action}.json`), { ...contract, ...errorsFor(p.product, p.version, action) });
  }
  {
    const vocab = { product: p.product, version: p.version, repository: p.repository, commit: sdk.commit };
    vocab.endpoints = endpoints(sdk.files, p.repository);
    for (const entry of p.vocabulary) vocab[entry.name] = vocabulary(entry, structs, p.repository);
    written.set(join(dir, '_vocabulary.json'), vocab);
  }
}

const text = (doc) => JSON.stringify(doc, null, 2) + '\n';
if (values.check) {
  const stale = [...written].filter(([file, doc]) => {
    const target = join(outDir, file);
    return !existsSync(target) || readFileSync(target, 'utf8') !== text(doc);
  });
  for (const [file] of stale) console.error(`out of date: contracts/${file}`);
  process.exit(stale.length ? 1 : 0);
}
for (const p of config.products) rmSync(join(outDir, `${p.product}-${p.version}`), { recursive: true, force: true });
for (const [file, doc] of written) {
  mkdirSync(join(outDir, dirname(file)), { recursive: true });
  writeFileSync(join(outDir, file), text(doc));
}
console.log(`wrote ${written.size} contract files to ${outDir}`);
