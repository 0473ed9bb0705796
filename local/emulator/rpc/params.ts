/**
 * The parameters of one RPC call (query and form body merged), read with the gateway's type checks:
 * a wrong type or a missing required value answers `InvalidParameter` / `MissingParameter`.
 * Arrays arrive flattened as `Name.1`, `Name.2`, ...
 */
import { invalidParameter, missingParameter } from './api-error.js';

export class RpcParams {
  constructor(private readonly values: Record<string, string>) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return v === undefined || v === '' ? undefined : v;
  }

  requiredString(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw missingParameter(name);
    return v;
  }

  int(name: string, range?: { min?: number; max?: number }): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw invalidParameter(name, 'An integer is expected.');
    const n = Number(v);
    if ((range?.min !== undefined && n < range.min) || (range?.max !== undefined && n > range.max)) {
      throw invalidParameter(name, `The value must be between ${range?.min ?? '-'} and ${range?.max ?? '-'}.`);
    }
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalidParameter(name, 'A boolean (true or false) is expected.');
  }

  /** `Name.1..Name.N`, in index order; undefined when none was sent. */
  list(name: string): string[] | undefined {
    const prefix = `${name}.`;
    const items: Array<[number, string]> = [];
    for (const [k, v] of Object.entries(this.values)) {
      if (!k.startsWith(prefix)) continue;
      const index = Number(k.slice(prefix.length));
      if (!Number.isInteger(index) || index < 1) continue;
      items.push([index, v]);
    }
    if (items.length === 0) return undefined;
    return items.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  /** Everything sent except the named keys: what an idempotency token's request signature covers. */
  fingerprint(exclude: string[]): string {
    return JSON.stringify(
      Object.keys(this.values)
        .filter((k) => !exclude.includes(k))
        .sort()
        .map((k) => [k, this.values[k]]),
    );
  }
}
