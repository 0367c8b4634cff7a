import { isLoopbackHost } from './fingerprint.ts';
import { CliError } from '../cli-exit.ts';
import { TlsFileError, dirTlsFiles, ensureTlsFiles, loadTls, type ServerTls } from './tls-files.ts';

/** Options that contradict each other or the bind address: a usage error for the CLI. */
export class TlsUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsUsageError';
  }
}

export interface ServerTlsOptions {
  dir: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsName?: string[];
  /** Plain HTTP asked for; only a loopback host may have it. */
  insecureHttp?: boolean;
  /** Serve TLS on loopback too when nothing is asked (the coordinator); a node's local API does not. */
  tlsOnLoopback: boolean;
  /** Told when a certificate is made in `dir`. */
  onCreated?: (dir: string) => void;
}

/**
 * The certificate a server serves (docs/operations.md "TLS"), or undefined for plain HTTP: the
 * operator's (--tls-cert/--tls-key, checked to belong together), or the directory's own, made
 * now if it has none. Plain HTTP only on loopback: asked for with --insecure-http, or by default
 * where `tlsOnLoopback` is false.
 */
export async function serverTls(o: ServerTlsOptions): Promise<ServerTls | undefined> {
  if (o.insecureHttp) {
    if (o.tlsCert !== undefined || o.tlsKey !== undefined)
      throw new TlsUsageError('--insecure-http serves no certificate: drop --tls-cert/--tls-key');
    if (!isLoopbackHost(o.host))
      throw new TlsUsageError(
        `--insecure-http is allowed only on a loopback address, not --host ${o.host}: beyond this machine, serve TLS`
      );
    return undefined;
  }
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
    throw new TlsUsageError('give both --tls-cert and --tls-key, or neither');
  if (o.tlsCert !== undefined && o.tlsKey !== undefined)
    return loadTls({ certFile: o.tlsCert, keyFile: o.tlsKey });
  if (!o.tlsOnLoopback && isLoopbackHost(o.host)) return undefined;
  if (!dirTlsFiles(o.dir)) {
    await ensureTlsFiles(o.dir, o.tlsName);
    o.onCreated?.(o.dir);
  }
  return loadTls(dirTlsFiles(o.dir) as { certFile: string; keyFile: string });
}

/**
 * serverTls for a CLI: a contradictory option is exit `codes.usage`, a bad certificate or key
 * file `codes.inputInvalid`, each from the calling CLI's own table (the node's and the
 * coordinator's differ), with the message naming the option or file.
 */
export async function serverTlsForCli(
  o: ServerTlsOptions,
  codes: { usage: number; inputInvalid: number }
): Promise<ServerTls | undefined> {
  try {
    return await serverTls(o);
  } catch (err) {
    if (err instanceof TlsUsageError) throw new CliError(codes.usage, err.message);
    if (err instanceof TlsFileError) throw new CliError(codes.inputInvalid, err.message);
    throw err;
  }
}
