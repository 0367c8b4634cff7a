import { ProtocolError } from '../errors.ts';
import { equalBytes, sha256Hex } from '../hashing.ts';
import { checkSealBlob } from './blob.ts';
import { ciphertextCountFor, decodeSigned, encodeSigned } from './codec.ts';
import { HE_PARAMS, isHeParamsId, type HeParamsId } from './params.ts';
import type {
  SealCipherText,
  SealContext,
  SealDecryptor,
  SealDeletable,
  SealEncryptor,
  SealModule,
  SealPlainText,
  SealPublicKey,
  SealSecretKey,
} from './seal-like.ts';

export interface HeKeyPair {
  /** Serialized SEAL secret key (zstd). Secret: never log it, zero it when done. */
  secretKey: Uint8Array;
  /** Serialized seeded SEAL public key (zstd): what travels and what publicKeyHash covers. */
  publicKey: Uint8Array;
}

/** One HE parameter set bound to a loaded SEAL module. Holds WASM memory: call dispose() when done. */
export interface He {
  readonly paramsId: HeParamsId;
  readonly slotCount: number;
  readonly plainModulus: bigint;
  ciphertextCount(length: number): number;
  generateKeys(): HeKeyPair;
  /** Seeded symmetric encryption (half the bytes of public-key encryption), zstd-compressed. */
  encryptSymmetric(values: readonly bigint[], secretKey: Uint8Array): Uint8Array[];
  /** Public-key encryption, for parties without the secret key (tests, tools). */
  encryptPublic(values: readonly bigint[], publicKey: Uint8Array): Uint8Array[];
  /** Throws ProtocolError BAD_CIPHERTEXT (naming `label`) unless `bytes` is a fresh ciphertext under these parameters. */
  loadCiphertext(bytes: Uint8Array, label?: string): void;
  /** Elementwise homomorphic sum over contributions (each a list of ciphertexts of equal count). */
  addCiphertexts(contributions: readonly (readonly Uint8Array[])[]): Uint8Array[];
  /** True iff both lists hold the same ciphertexts (compared after loading, not by compressed bytes). */
  ciphertextsEqual(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean;
  /** Decrypts and decodes the first `length` signed values. */
  decrypt(ciphertexts: readonly Uint8Array[], secretKey: Uint8Array, length: number): bigint[];
  /** True iff `secretKey` decrypts what `publicKey` encrypts (checked with a test vector). */
  checkKeyPair(secretKey: Uint8Array, publicKey: Uint8Array): boolean;
  publicKeyHash(publicKey: Uint8Array): string;
  dispose(): void;
}

/** SHA-256 hex of the serialized public key bytes as transmitted. */
export function publicKeyHash(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array)) throw new TypeError('"publicKey" expected Uint8Array');
  return sha256Hex(publicKey);
}

/** SHA-256 hex of one serialized ciphertext, as listed in submissions. */
export function ciphertextHash(ciphertext: Uint8Array): string {
  if (!(ciphertext instanceof Uint8Array)) throw new TypeError('"ciphertext" expected Uint8Array');
  return sha256Hex(ciphertext);
}

function sealMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/^Error: /, '').slice(0, 120);
}

/** Runs `fn` with a list that collects SEAL objects, deleting them all afterwards (WASM memory is not GC'd). */
function scoped<T>(fn: (own: <O extends SealDeletable>(o: O | void) => O) => T): T {
  const owned: SealDeletable[] = [];
  const own = <O extends SealDeletable>(o: O | void): O => {
    if (!o) throw new Error('SEAL returned no object');
    owned.push(o);
    return o;
  };
  try {
    return fn(own);
  } finally {
    for (const o of owned.reverse()) o.delete();
  }
}

/** Secret-key material kept per key (by hash) so repeated jobs do not rebuild it: at most 4 keys. */
interface KeyEntry {
  encryptor: SealEncryptor;
  decryptor: SealDecryptor;
}
const KEY_CACHE_SIZE = 4;

/**
 * Binds HE parameter set `paramsId` to a loaded SEAL module (node-seal 6.x: the caller imports
 * it; protocol never does).
 *
 * @example
 * const he = createHe(await loadSeal(), 'bfv-8192-t40');
 * const { secretKey } = he.generateKeys();
 * const sum = he.addCiphertexts([he.encryptSymmetric([5n], secretKey), he.encryptSymmetric([-7n], secretKey)]);
 * he.decrypt(sum, secretKey, 1); // [-2n]
 */
export function createHe(seal: SealModule, paramsId: HeParamsId): He {
  if (!isHeParamsId(paramsId))
    throw new RangeError(`"paramsId" unknown HE parameter set ${JSON.stringify(paramsId)}`);
  const p = HE_PARAMS[paramsId];
  const zstd = seal.ComprModeType.zstd;

  const context: SealContext = scoped((own) => {
    const parms = own(seal.EncryptionParameters(seal.SchemeType.bfv));
    parms.setPolyModulusDegree(p.polyModulusDegree);
    parms.setCoeffModulus(
      own(seal.CoeffModulus.BFVDefault(p.polyModulusDegree, seal.SecurityLevel.tc128))
    );
    const t = own(seal.PlainModulus.Batching(p.polyModulusDegree, p.plainModulusBits));
    if (t.value !== p.plainModulus)
      throw new Error(`SEAL chose plain modulus ${t.value}, expected ${p.plainModulus}`);
    parms.setPlainModulus(t);
    const ctx = seal.Context(parms, true, seal.SecurityLevel.tc128);
    if (!ctx.parametersSet()) {
      ctx.delete();
      throw new Error(`SEAL refused HE parameters ${paramsId}`);
    }
    return ctx;
  });
  const firstParmsId = scoped((own) => Array.from(own(context.firstParmsId).values));
  const encoder = seal.BatchEncoder(context);
  const evaluator = seal.Evaluator(context);
  if (encoder.slotCount !== p.slotCount)
    throw new Error(`SEAL gives ${encoder.slotCount} slots, expected ${p.slotCount}`);
  const keyCache = new Map<string, KeyEntry>();
  let disposed = false;

  const alive = (): void => {
    if (disposed) throw new Error(`HE context ${paramsId} was disposed`);
  };

  const loadSecretKey = (bytes: Uint8Array): SealSecretKey => {
    checkSealBlob(bytes, 'HE secret key', 'BAD_REQUEST');
    const sk = seal.SecretKey();
    try {
      sk.loadArray(context, bytes);
      return sk;
    } catch (err) {
      sk.delete();
      throw new ProtocolError(
        'BAD_REQUEST',
        `HE secret key: SEAL refused it (${sealMessage(err)})`
      );
    }
  };

  const loadPublicKey = (bytes: Uint8Array): SealPublicKey => {
    checkSealBlob(bytes, 'HE public key', 'BAD_REQUEST');
    const pk = seal.PublicKey();
    try {
      pk.loadArray(context, bytes);
      return pk;
    } catch (err) {
      pk.delete();
      throw new ProtocolError(
        'BAD_REQUEST',
        `HE public key: SEAL refused it (${sealMessage(err)})`
      );
    }
  };

  const keyEntry = (secretKey: Uint8Array): KeyEntry => {
    const id = sha256Hex(secretKey);
    const hit = keyCache.get(id);
    if (hit) return hit;
    const entry = scoped((own) => {
      const sk = own(loadSecretKey(secretKey));
      // node-seal's Encryptor needs a public key even for symmetric use: derive it from sk.
      const kg = own(seal.KeyGenerator(context, sk));
      const pk = own(kg.createPublicKey());
      return { encryptor: seal.Encryptor(context, pk, sk), decryptor: seal.Decryptor(context, sk) };
    });
    if (keyCache.size >= KEY_CACHE_SIZE) {
      const [oldId, old] = keyCache.entries().next().value as [string, KeyEntry];
      old.encryptor.delete();
      old.decryptor.delete();
      keyCache.delete(oldId);
    }
    keyCache.set(id, entry);
    return entry;
  };

  const loadCipher = (bytes: Uint8Array, label: string): SealCipherText => {
    checkSealBlob(bytes, label, 'BAD_CIPHERTEXT');
    const ct = seal.CipherText();
    try {
      ct.loadArray(context, bytes);
    } catch (err) {
      ct.delete();
      throw new ProtocolError('BAD_CIPHERTEXT', `${label}: SEAL refused it (${sealMessage(err)})`);
    }
    const why = scoped((own) => {
      const pid = own(ct.parmsId).values;
      if (pid.length !== firstParmsId.length || pid.some((v, i) => v !== firstParmsId[i])) {
        return `not at the data level of ${paramsId}`;
      }
      if (ct.polyModulusDegree !== p.polyModulusDegree)
        return `degree ${ct.polyModulusDegree}, expected ${p.polyModulusDegree}`;
      if (ct.size !== 2) return `size ${ct.size}, expected 2 (a fresh or summed ciphertext)`;
      if (ct.isNttForm) return 'in NTT form (not a BFV ciphertext)';
      return null;
    });
    if (why) {
      ct.delete();
      throw new ProtocolError('BAD_CIPHERTEXT', `${label}: ${why}`);
    }
    return ct;
  };

  const encodePlains = (
    values: readonly bigint[],
    each: (plain: SealPlainText) => Uint8Array
  ): Uint8Array[] =>
    encodeSigned(values, p.plainModulus, p.slotCount).map((slots) =>
      scoped((own) => each(own(encoder.encode(slots))))
    );

  const api: He = {
    paramsId,
    slotCount: p.slotCount,
    plainModulus: p.plainModulus,
    ciphertextCount: (length) => ciphertextCountFor(length, p.slotCount),

    generateKeys() {
      alive();
      // SEAL samples the secret key with its Blake2xb PRNG seeded from std::random_device, which
      // Emscripten backs with crypto.getRandomValues.
      return scoped((own) => {
        const kg = own(seal.KeyGenerator(context));
        const secretKey = own(kg.secretKey()).saveArray(zstd);
        // Seeded serialization: half the bytes; PublicKey.loadArray expands the seed.
        const publicKey = own(kg.createPublicKeySerializable()).saveArray(zstd);
        return { secretKey, publicKey };
      });
    },

    encryptSymmetric(values, secretKey) {
      alive();
      const { encryptor } = keyEntry(secretKey);
      return encodePlains(values, (plain) =>
        scoped((own) => own(encryptor.encryptSymmetricSerializable(plain)).saveArray(zstd))
      );
    },

    encryptPublic(values, publicKey) {
      alive();
      return scoped((own) => {
        const pk = own(loadPublicKey(publicKey));
        const encryptor = own(seal.Encryptor(context, pk));
        return encodePlains(values, (plain) =>
          scoped((own2) => own2(encryptor.encrypt(plain)).saveArray(zstd))
        );
      });
    },

    loadCiphertext(bytes, label = 'ciphertext') {
      alive();
      loadCipher(bytes, label).delete();
    },

    addCiphertexts(contributions) {
      alive();
      if (contributions.length === 0) throw new RangeError('"contributions" must not be empty');
      const count = (contributions[0] as readonly Uint8Array[]).length;
      contributions.forEach((c, i) => {
        if (c.length !== count)
          throw new ProtocolError(
            'BAD_CIPHERTEXT',
            `contribution ${i} has ${c.length} ciphertexts, expected ${count}`
          );
      });
      const out: Uint8Array[] = [];
      for (let j = 0; j < count; j++) {
        out.push(
          scoped((own) => {
            const acc = own(
              loadCipher(contributions[0]?.[j] as Uint8Array, `contribution 0 ciphertext ${j}`)
            );
            for (let i = 1; i < contributions.length; i++) {
              const ct = own(
                loadCipher(contributions[i]?.[j] as Uint8Array, `contribution ${i} ciphertext ${j}`)
              );
              evaluator.add(acc, ct, acc);
            }
            return acc.saveArray(zstd);
          })
        );
      }
      return out;
    },

    ciphertextsEqual(a, b) {
      alive();
      if (a.length !== b.length) return false;
      return a.every((x, j) =>
        scoped((own) => {
          const none = seal.ComprModeType.none;
          const ra = own(loadCipher(x, `ciphertext ${j}`)).saveArray(none);
          const rb = own(loadCipher(b[j] as Uint8Array, `ciphertext ${j}`)).saveArray(none);
          return equalBytes(ra, rb);
        })
      );
    },

    decrypt(ciphertexts, secretKey, length) {
      alive();
      const expected = ciphertextCountFor(length, p.slotCount);
      if (ciphertexts.length !== expected) {
        throw new ProtocolError(
          'BAD_CIPHERTEXT',
          `${ciphertexts.length} ciphertexts for ${length} values, expected ${expected}`
        );
      }
      const { decryptor } = keyEntry(secretKey);
      const slots = ciphertexts.map((bytes, j) =>
        scoped((own) => {
          const ct = own(loadCipher(bytes, `ciphertext ${j}`));
          // A non-positive invariant noise budget means decryption would be wrong (SEAL manual, BFV).
          if (decryptor.invariantNoiseBudget(ct) <= 0)
            throw new ProtocolError('BAD_CIPHERTEXT', `ciphertext ${j}: noise budget exhausted`);
          return BigUint64Array.from(
            encoder.decodeBigInt(own(decryptor.decrypt(ct)), false) as BigUint64Array
          );
        })
      );
      return decodeSigned(slots, p.plainModulus, length);
    },

    checkKeyPair(secretKey, publicKey) {
      alive();
      const probe = new BigUint64Array(16);
      globalThis.crypto.getRandomValues(probe);
      const values = Array.from(probe, (v) => (v % p.plainModulus) - p.plainModulus / 2n);
      try {
        const cts = api.encryptPublic(values, publicKey);
        const back = api.decrypt(cts, secretKey, values.length);
        return back.every((v, i) => v === values[i]);
      } catch (err) {
        if (err instanceof ProtocolError) return false;
        throw err;
      }
    },

    publicKeyHash,

    dispose() {
      if (disposed) return;
      disposed = true;
      for (const e of keyCache.values()) {
        e.encryptor.delete();
        e.decryptor.delete();
      }
      keyCache.clear();
      evaluator.delete();
      encoder.delete();
      context.delete();
    },
  };
  return api;
}
