export {
  createSelfSignedTlsCertificate,
  defaultTlsNames,
  type TlsCertificate,
} from './certificate.ts';
export {
  TlsFingerprintSchema,
  isLoopbackHost,
  tlsFingerprint,
  tlsFingerprintBase64,
} from './fingerprint.ts';
export {
  InsecureTransportError,
  TlsPinError,
  coordinatorFetch,
  pinnedFetch,
} from './pinned-fetch.ts';
export {
  TLS_CERT_FILE,
  TLS_KEY_FILE,
  TlsFileError,
  dirTlsFiles,
  dirTlsFingerprint,
  ensureTlsFiles,
  loadTls,
  type ServerTls,
} from './tls-files.ts';
export {
  TlsUsageError,
  serverTls,
  serverTlsForCli,
  type ServerTlsOptions,
} from './server-tls.ts';
