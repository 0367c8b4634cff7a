// The only file of the coordinator that imports node-seal (STYLE §4: protocol never does; the
// HE wrapper in @fedmark/protocol takes the loaded module as an argument).
// Node 20 needs exactly this entry point: the "throws" build turns SEAL exceptions into JS
// errors instead of aborting the WASM instance, and the UMD node build loads the .wasm from disk.
import SEAL from 'node-seal/throws_wasm_node_umd.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { createHe, type He, type HeParamsId, type SealModule } from '@fedmark/protocol';

// The .d.ts declares an ES default export but the file is CommonJS whose module.exports is the
// factory itself, so under NodeNext the default import is that function.
const sealFactory = SEAL as unknown as () => Promise<SEALLibrary>;

let loading: Promise<SealModule> | undefined;
const contexts = new Map<HeParamsId, Promise<He>>();

/** Loads the SEAL WASM module once per process. */
export function loadSeal(): Promise<SealModule> {
  const p = loading ?? sealFactory().then((lib) => lib satisfies SealModule);
  loading = p;
  return p;
}

/** One HE context per parameter set per process (building one takes about a second). */
export function heFor(paramsId: HeParamsId): Promise<He> {
  let he = contexts.get(paramsId);
  if (!he) {
    he = loadSeal().then((seal) => createHe(seal, paramsId));
    contexts.set(paramsId, he);
  }
  return he;
}
