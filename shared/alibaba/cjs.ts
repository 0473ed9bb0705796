/**
 * The Alibaba SDK packages are CommonJS with `exports.default = Client` beside named exports. Node's ESM loader,
 * esbuild's bundle and jest's transform expose them differently; this returns the plain `module.exports` shape
 * (named exports plus `.default` = the client class) in all three.
 */
export function cjsModule<T>(namespace: unknown): T {
  const ns = namespace as { default?: unknown };
  return (ns.default && typeof ns.default === 'object' ? ns.default : ns) as T;
}

/** The `module.exports` of a CommonJS package whose export is one class (ali-oss), however it was imported. */
export function cjsDefault<T>(namespace: unknown): T {
  let value = namespace as { default?: unknown } | undefined;
  while (value && typeof value !== 'function' && value.default !== undefined) value = value.default as typeof value;
  return value as T;
}
