// Types of scripts/bundle-cuts.mjs for the TypeScript that imports it (test/unit/build/bundle-cuts.test.ts).
import type { Plugin } from 'esbuild';

export interface BundleCut {
  id: string;
  /** The import specifier replaced. */
  module: string;
  /** Path fragment(s) of the importing file the cut applies to; other importers keep the real module. */
  importer: string | string[];
  /** A module specifier resolved from the importer, or a path relative to scripts/ (a stand-in). */
  replacement: string;
  removes: string;
}

export const CUTS: BundleCut[];
export function bundleCuts(cuts?: BundleCut[]): Plugin;
