// Modules the function bundles never use at run time, replaced at build time so cold starts do not load them.
// Each cut names the importer it applies to, what it removes, and why the replaced code cannot be reached;
// test/unit/build/bundle-cuts.test.ts checks each proof against the installed packages, so an upgrade that
// makes a cut unsafe fails the tests instead of the function.
import { fileURLToPath } from 'node:url';

export const CUTS = [
  {
    // @alicloud/openapi-client -> @alicloud/openapi-util -> @alicloud/tea-util -> @darabonba/typescript, whose index
    // also loads its Date (moment), WebSocket (ws, socks/http/https proxy agents), XML, file and lodash helpers.
    // tea-util reads only toMap, ExtendsParameters and RuntimeOptions from it, all defined in dist/core.js. (Two
    // copies of tea-util are installed: openapi-client's own, and openapi-util's; the importer test matches both.)
    id: 'darabonba-core-only',
    module: '@darabonba/typescript',
    importer: '/node_modules/@alicloud/tea-util/',
    replacement: '@darabonba/typescript/dist/core.js',
    removes: 'moment, ws, socks-proxy-agent, http(s)-proxy-agent, lodash (about 600 KB unminified)',
  },
  {
    // urllib requires iconv-lite (536 KB, mostly code-page tables) to decode a response whose charset Buffer does
    // not know. Not a removal: the stand-in decodes with Node's TextDecoder, which knows the WHATWG encodings.
    id: 'iconv-lite-textdecoder',
    module: 'iconv-lite',
    importer: '/node_modules/urllib/',
    replacement: './bundle-stubs/iconv-lite.cjs',
    removes: 'iconv-lite (536 KB unminified); decoding stays, through TextDecoder',
  },
  {
    // xml2js loads xmlbuilder for its Builder; the functions parse XML (OSS answers) but never build it.
    id: 'xmlbuilder-unused',
    module: 'xmlbuilder',
    importer: '/node_modules/xml2js/',
    replacement: './bundle-stubs/xmlbuilder.cjs',
    removes: 'xmlbuilder (144 KB unminified)',
  },
  {
    // openapi-client makes a Credential from @alicloud/credentials only for a Config with keys or a bearer token;
    // ours pass a `credential` object that signs with each invocation's keys (shared/alibaba/rpc.ts). gateway-spi
    // only names the class as a field type (a non-model class: the field's value is kept as given).
    id: 'alicloud-credentials-unused',
    module: '@alicloud/credentials',
    importer: ['/node_modules/@alicloud/openapi-client/', '/node_modules/@alicloud/gateway-spi/'],
    replacement: './bundle-stubs/alicloud-credentials.cjs',
    removes: '@alicloud/credentials and ini (120 KB unminified)',
  },
];

/** The esbuild plugin applying CUTS. */
export function bundleCuts(cuts = CUTS) {
  return {
    name: 'bundle-cuts',
    setup(build) {
      for (const cut of cuts) {
        const filter = new RegExp(`^${cut.module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        build.onResolve({ filter }, async (args) => {
          const importers = Array.isArray(cut.importer) ? cut.importer : [cut.importer];
          if (!importers.some((importer) => args.importer.includes(importer))) return undefined;
          const target = cut.replacement.startsWith('.')
            ? { path: fileURLToPath(new URL(cut.replacement, import.meta.url)) }
            : await build.resolve(cut.replacement, { resolveDir: args.resolveDir, kind: args.kind });
          if (target.errors?.length) return { errors: target.errors };
          return { path: target.path };
        });
      }
    },
  };
}
