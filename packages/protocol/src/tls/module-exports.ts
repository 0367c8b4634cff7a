/**
 * A package's exports from a dynamic import(), whether they arrived as an ES namespace (tsx and
 * vitest load a package's ES build) or under `default` (the esbuild CLI bundle, platform node,
 * loads its CommonJS build). `probe` is an export that must be there.
 */
export function moduleExports<T extends object>(loaded: T, probe: keyof T): T {
  return probe in loaded ? loaded : (loaded as { default: T }).default;
}
