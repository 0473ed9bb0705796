/**
 * The Alibaba SDK packages are CommonJS with `exports.default = Client` beside named exports. Node's ESM loader,
 * esbuild's bundle and jest's transform expose them differently; this returns the plain `module.exports` shape
 * (named exports plus `.default` = the client class) in all three.
 */
export function cjsModule<T>(namespace: unknown): T {
  const ns = namespace as { default?: unknown };
  return (ns.default && typeof ns.default === 'object' ? ns.default : ns) as T;
}
