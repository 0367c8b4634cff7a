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
