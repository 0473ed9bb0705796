// Why: scripts/bundle-cuts.mjs replaces modules in the function bundles on the grounds that no bundled path uses
// them. Those grounds are facts about the installed packages; this test re-checks each one, so a dependency upgrade
// that starts using a cut module fails here instead of in a deployed function. (The bundles' own test,
// test/integration/bundles/, then runs the cut bundles against the emulator.)
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { CUTS } from '../../../scripts/bundle-cuts.mjs';
import { functionNames } from '../../../scripts/build.mjs';
import { sharedFunctionBuild } from '../../support/shared-build.js';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const requireFromRoot = createRequire(join(root, 'package.json'));

/** Every installed copy of a package file (npm may nest a second version under a dependent). */
function installedCopies(packagePath: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    const candidate = join(dir, packagePath);
    if (existsSync(candidate)) found.push(relative(root, candidate));
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const child = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(child)) {
          const nested = join(child, scoped, 'node_modules');
          if (existsSync(nested)) visit(nested);
        }
      } else if (existsSync(join(child, 'node_modules'))) visit(join(child, 'node_modules'));
    }
  };
  visit(join(root, 'node_modules'));
  return found;
}

/**
 * The members a CommonJS file reads from `require(module)`, through every identifier bound to it
 * (`const x = require("m")`, `__importStar(require("m"))`, `__importDefault(...)`, read as `x.default.y`).
 * `undefined` in the list: the binding is used bare (passed on whole), so members cannot be listed.
 */
function membersRead(source: string, module: string): Array<string | undefined> {
  const quoted = module.replace(/[/.]/g, (c) => `\\${c}`);
  const bindings = [
    ...source.matchAll(
      new RegExp(
        `(?:const|var|let)\\s+([\\w$]+)\\s*=\\s*(?:__import(?:Star|Default)\\()?require\\(["']${quoted}["']\\)`,
        'g',
      ),
    ),
  ].map((m) => m[1]);
  return bindings.flatMap((binding) => {
    const escaped = binding.replace(/\$/g, '\\$');
    const uses = [...source.matchAll(new RegExp(`(?<![\\w$.])${escaped}(?![\\w$])(?:\\.default)?(\\.(\\w+))?`, 'g'))];
    return uses.slice(1).map((m) => m[2]); // the first use is the declaration
  });
}

/** `exports.X = ` names a CommonJS file defines. */
const definedExports = (source: string) => new Set([...source.matchAll(/exports\.(\w+)\s*=/g)].map((m) => m[1]));

/** The modules the function bundles really contain, and who imports what (the esbuild metafile of each build). */
async function bundleGraph() {
  const inputs: Record<string, { imports: Array<{ path: string }> }> = {};
  const built = await sharedFunctionBuild();
  expect(built.map((f) => f.name).sort()).toEqual(functionNames().sort());
  for (const { metafile } of built) Object.assign(inputs, metafile.inputs);
  return inputs;
}

describe('the bundle cuts and their grounds', () => {
  it('every cut names its reason and applies to named importers only', () => {
    expect(CUTS.map((c) => c.id)).toEqual([
      'darabonba-core-only',
      'iconv-lite-textdecoder',
      'xmlbuilder-unused',
      'alicloud-credentials-unused',
    ]);
    for (const cut of CUTS) expect([cut.importer].flat().length).toBeGreaterThan(0);
  });

  it('darabonba-core-only: tea-util (every installed copy) reads only names that dist/core.js defines', () => {
    const core = definedExports(read('node_modules/@darabonba/typescript/dist/core.js'));
    const copies = installedCopies('@alicloud/tea-util/dist/client.js');
    // The copies that load @darabonba/typescript at all (an older one nested under openapi-client does not).
    const readers = copies.map((copy) => membersRead(read(copy), '@darabonba/typescript')).filter((m) => m.length);
    expect(readers.length).toBeGreaterThan(0);
    for (const members of readers) {
      expect(members).not.toContain(undefined);
      expect(members.filter((m) => !core.has(m!))).toEqual([]);
    }
  });

  it('iconv-lite-textdecoder: urllib only ever calls decode(buffer, charset)', () => {
    const source = read('node_modules/urllib/lib/urllib.js');
    const uses = [...source.matchAll(/_iconv\b(\.\w+)?/g)].map((m) => m[1] ?? '');
    expect(new Set(uses)).toEqual(new Set(['', '.decode']));
    expect(source.match(/require\('iconv-lite'\)/g)).toHaveLength(1);
  });

  it.each([
    ['gbk', '中文证书'],
    ['big5', '憑證'],
    ['shift_jis', '証明書'],
    ['euc-kr', '인증서'],
    ['windows-1252', 'café'],
    ['iso-8859-2', 'žluťoučký'],
    ['utf-16le', 'mTLS ✓'],
  ])('the TextDecoder stand-in decodes %s as iconv-lite does', (charset, text) => {
    const iconv = requireFromRoot('iconv-lite') as {
      encode(s: string, c: string): Buffer;
      decode(b: Buffer, c: string): string;
    };
    const standIn = requireFromRoot('./scripts/bundle-stubs/iconv-lite.cjs') as {
      decode(b: Buffer, c: string): string;
    };
    const bytes = iconv.encode(text, charset);
    expect(standIn.decode(bytes, charset)).toBe(iconv.decode(bytes, charset));
    expect(standIn.decode(bytes, charset)).toBe(text);
  });

  it('the TextDecoder stand-in refuses a charset it does not know, as iconv-lite does', () => {
    const standIn = requireFromRoot('./scripts/bundle-stubs/iconv-lite.cjs') as {
      decode(b: Buffer, c: string): string;
    };
    // (jest's realm has its own RangeError: compare by name)
    expect(() => standIn.decode(Buffer.from('x'), 'no-such-charset')).toThrow(
      expect.objectContaining({ name: 'RangeError' }),
    );
    const iconv = requireFromRoot('iconv-lite') as { decode(b: Buffer, c: string): string };
    expect(() => iconv.decode(Buffer.from('x'), 'no-such-charset')).toThrow(/not recognized/);
  });

  it('alicloud-credentials-unused: openapi-client builds a Credential only from keys or a bearer token in its Config', () => {
    const source = read('node_modules/@alicloud/openapi-client/dist/client.js');
    const constructions = [...source.matchAll(/new (credentials_1\.default|\$Credential\.Config)\(/g)].map(
      (m) => m.index!,
    );
    expect(constructions).toHaveLength(4);
    // All four sit in the constructor's two branches for `config.accessKeyId` and `config.bearerToken`, before the
    // branch that takes `config.credential` as it is (what shared/alibaba/rpc.ts passes).
    const keysBranch = source.indexOf('if (!tea_util_1.default.empty(config.accessKeyId)');
    const credentialBranch = source.indexOf('this._credential = config.credential;');
    expect(keysBranch).toBeGreaterThan(0);
    for (const at of constructions) expect(at > keysBranch && at < credentialBranch).toBe(true);
    // gateway-spi names the class only as a field type (a plain class, so the field keeps the value it is given).
    const spi = read('node_modules/@alicloud/gateway-spi/dist/client.js');
    expect(spi.match(/credentials_1\.\w+/g)).toEqual(['credentials_1.default']);
    expect(spi).toMatch(/credential: credentials_1\.default,/);
  });

  it('alicloud-credentials-unused: our OpenAPI clients are configured with a credential object, never with keys', () => {
    for (const file of ['shared/alibaba/rpc.ts', 'shared/alibaba/fc-invoker.ts']) {
      const source = read(file);
      expect(source).not.toMatch(/new (api\.)?Config\(\{[^}]*(accessKeyId|accessKeySecret|bearerToken)/s);
    }
    expect(read('shared/alibaba/fc-invoker.ts')).toMatch(/lazyOpenApiClient\(config\.credentials, \{/);
  });

  it('in the built bundles, only the named importers reach a cut module, and xml2js Builder is never used', async () => {
    const inputs = await bundleGraph();
    for (const cut of CUTS) {
      const importers = Object.entries(inputs)
        .filter(([, input]) => input.imports.some((i) => i.path.includes(cut.replacement.replace(/^\.\//, 'scripts/'))))
        .map(([path]) => path);
      expect({ cut: cut.id, used: importers.length > 0 }).toEqual({ cut: cut.id, used: true });
      for (const importer of importers)
        expect({ cut: cut.id, importer, named: [cut.importer].flat().some((i) => `/${importer}`.includes(i)) }).toEqual(
          {
            cut: cut.id,
            importer,
            named: true,
          },
        );
      // ... and the module it replaces is in no bundle at all.
      expect(
        Object.keys(inputs).filter(
          (path) => path.startsWith(`node_modules/${cut.module}/`) && cut.module !== '@darabonba/typescript',
        ),
      ).toEqual([]);
    }
    // darabonba: its core (with the retry and error helpers core loads), nothing of its index (moment, ws, ...).
    const darabonba = Object.keys(inputs).filter((p) => p.startsWith('node_modules/@darabonba/typescript/'));
    expect(darabonba.sort()).toEqual(
      ['core.js', 'error.js', 'retry.js'].map((f) => `node_modules/@darabonba/typescript/dist/${f}`),
    );
    // xmlbuilder serves only xml2js's Builder: no bundled module that loads xml2js builds XML with it (ali-oss
    // parses with it and writes its XML with jstoxml), except tea-xml's toXML, which no bundled module calls.
    const bundled = Object.keys(inputs).filter((path) => path.startsWith('node_modules/'));
    const source = (path: string) => readFileSync(join(root, path), 'utf8');
    const builderMentions = bundled
      .filter((path) => !path.startsWith('node_modules/xml2js/'))
      .filter((path) => /\bBuilder\b/.test(source(path)));
    expect(builderMentions).toEqual(['node_modules/@alicloud/tea-xml/dist/client.js']);
    // ... inside its static toXML (up to the next static method), which the loop below shows nobody calls.
    const teaXml = source(builderMentions[0]);
    const toXml = teaXml.indexOf('static toXML(');
    const nextMethod = teaXml.indexOf('static ', toXml + 1);
    const builder = teaXml.indexOf('Builder');
    expect(toXml > 0 && builder > toXml && (nextMethod < 0 || builder < nextMethod)).toBe(true);
    expect(teaXml.match(/\bBuilder\b/g)).toHaveLength(1);
    for (const path of bundled) {
      const members = membersRead(source(path), '@alicloud/tea-xml');
      expect({ path, members }).not.toEqual({ path, members: expect.arrayContaining(['toXML']) });
      expect(members).not.toContain(undefined);
    }
  }, 30_000);
});
