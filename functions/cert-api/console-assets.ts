/**
 * Why: the console's static files (docs/console.md) ship with the function and are read once, at cold start. They
 * sit in functions/cert-api/console/ in the source tree; `npm run build` copies them (bundle-files.json) to the
 * same project-relative path under dist/cert-api/, beside the bundle. Either way they are found from this module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  body: string;
  contentType: string;
}

/** File name -> what is served at /console (index.html) and /console/<name>. */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** Source layout (this file beside console/), then the bundle's (dist/cert-api/index.mjs + functions/cert-api/console/). */
const CANDIDATE_DIRS = ['./console/', './functions/cert-api/console/'];

export function loadConsoleAssets(baseUrl: string = import.meta.url): Map<string, ConsoleAsset> {
  const dir = CANDIDATE_DIRS.map((d) => fileURLToPath(new URL(d, baseUrl))).find((d) => existsSync(`${d}index.html`));
  if (!dir) throw new Error(`console assets not found beside ${fileURLToPath(baseUrl)} (looked in ${CANDIDATE_DIRS})`);
  return new Map(
    Object.entries(CONSOLE_FILES).map(([name, contentType]) => [
      name,
      { body: readFileSync(`${dir}${name}`, 'utf8'), contentType },
    ]),
  );
}
