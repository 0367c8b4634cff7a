import { buildCli } from '../../scripts/build.mjs';

/**
 * vitest globalSetup: the end-to-end tests spawn `bin/fedmark.mjs`, which runs the compiled CLI,
 * so the bundles are rebuilt from the current sources before any test runs (about a second).
 */
export default async function setup(): Promise<void> {
  await buildCli({ quiet: true });
}
