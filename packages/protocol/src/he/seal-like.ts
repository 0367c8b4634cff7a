/**
 * The parts of node-seal 6.x (Microsoft SEAL 4 in WASM) that createHe uses, declared
 * structurally so protocol never imports node-seal (it accepts the module the way tRPC accepts
 * validators: by shape). Methods use method syntax so node-seal's richer types are assignable.
 * Every object here owns WASM memory that is not garbage collected: callers MUST `.delete()` it.
 */
export interface SealDeletable {
  delete(): void;
}

export interface SealParmsId extends SealDeletable {
  readonly values: BigUint64Array;
}

export interface SealVector extends SealDeletable {}

export interface SealModulus extends SealDeletable {
  readonly value: bigint;
}

export interface SealEncryptionParameters extends SealDeletable {
  setPolyModulusDegree(n: number): void;
  setCoeffModulus(v: SealVector): void;
  setPlainModulus(m: SealModulus): void;
}

export interface SealContext extends SealDeletable {
  parametersSet(): boolean;
  readonly firstParmsId: SealParmsId;
}

export interface SealSecretKey extends SealDeletable {
  saveArray(compression?: unknown): Uint8Array;
  loadArray(context: SealContext, bytes: Uint8Array): void;
}

export interface SealPublicKey extends SealDeletable {
  saveArray(compression?: unknown): Uint8Array;
  loadArray(context: SealContext, bytes: Uint8Array): void;
}

export interface SealPlainText extends SealDeletable {}

export interface SealCipherText extends SealDeletable {
  readonly size: number;
  readonly polyModulusDegree: number;
  readonly isNttForm: boolean;
  readonly parmsId: SealParmsId;
  saveArray(compression?: unknown): Uint8Array;
  loadArray(context: SealContext, bytes: Uint8Array): void;
}

export interface SealSerializable extends SealDeletable {
  saveArray(compression?: unknown): Uint8Array;
}

export interface SealKeyGenerator extends SealDeletable {
  secretKey(): SealSecretKey;
  createPublicKey(): SealPublicKey;
  createPublicKeySerializable(): SealSerializable;
}

export interface SealEncryptor extends SealDeletable {
  encrypt(plain: SealPlainText): SealCipherText | void;
  encryptSymmetricSerializable(plain: SealPlainText): SealSerializable;
}

export interface SealDecryptor extends SealDeletable {
  decrypt(cipher: SealCipherText): SealPlainText | void;
  invariantNoiseBudget(cipher: SealCipherText): number;
}

export interface SealEvaluator extends SealDeletable {
  add(a: SealCipherText, b: SealCipherText, destination?: SealCipherText): SealCipherText | void;
}

export interface SealBatchEncoder extends SealDeletable {
  readonly slotCount: number;
  encode(values: BigUint64Array): SealPlainText | void;
  decodeBigInt(plain: SealPlainText, signed?: boolean): BigInt64Array | BigUint64Array;
}

/** Structural view of the object `await SEAL()` returns (node-seal 6.x `SEALLibrary`). */
export interface SealModule {
  readonly SchemeType: { readonly bfv: unknown };
  readonly SecurityLevel: { readonly tc128: unknown };
  readonly ComprModeType: { readonly none: unknown; readonly zstd: unknown };
  readonly CoeffModulus: {
    BFVDefault(polyModulusDegree: number, securityLevel?: unknown): SealVector;
  };
  readonly PlainModulus: { Batching(polyModulusDegree: number, bitSize: number): SealModulus };
  EncryptionParameters(scheme?: unknown): SealEncryptionParameters;
  Context(
    params: SealEncryptionParameters,
    expandModChain?: boolean,
    securityLevel?: unknown
  ): SealContext;
  KeyGenerator(context: SealContext, secretKey?: SealSecretKey): SealKeyGenerator;
  SecretKey(): SealSecretKey;
  PublicKey(): SealPublicKey;
  CipherText(): SealCipherText;
  Encryptor(
    context: SealContext,
    publicKey: SealPublicKey,
    secretKey?: SealSecretKey
  ): SealEncryptor;
  Decryptor(context: SealContext, secretKey: SealSecretKey): SealDecryptor;
  Evaluator(context: SealContext): SealEvaluator;
  BatchEncoder(context: SealContext): SealBatchEncoder;
}
