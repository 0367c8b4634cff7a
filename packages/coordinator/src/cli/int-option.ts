import { CliError, EXIT } from './exit-codes.ts';

/** A commander parser for a whole-number option, with a usage error naming the option. */
export const intOption = (name: string) => (v: string) => {
  if (!/^[0-9]+$/.test(v))
    throw new CliError(EXIT.USAGE, `--${name} expects a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
};
