// Types of scripts/build.mjs for the TypeScript that imports it (the coldstart benchmark, the bundle tests).
import type { BuildOptions, Metafile } from 'esbuild';

export interface BuiltFunction {
  name: string;
  /** outdir/<name> */
  dir: string;
  /** outdir/<name>/index.mjs */
  entry: string;
  /** Every .mjs written: the entry and its chunks. */
  files: string[];
  metafile: Metafile;
}

export function functionNames(): string[];
export function functionBuildOptions(name: string, outdir: string): BuildOptions & { metafile: true };
export function buildFunctions(options?: {
  outdir?: string;
  only?: string[];
  quiet?: boolean;
}): Promise<BuiltFunction[]>;
