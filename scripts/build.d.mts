/** Bundles the CLI into packages/{node,coordinator}/dist (see build.mjs). */
export function buildCli(options?: { quiet?: boolean }): Promise<void>;
