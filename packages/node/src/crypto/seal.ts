// The one module of the node that imports node-seal. node-seal 6.0.3 loads on Node 20 only
// through its UMD "throws" build (7.x does not load at all); the throws build turns SEAL's C++
// exceptions into JS errors instead of returning error codes.
import SEAL from 'node-seal/throws_wasm_node_umd.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { createHe, type He, type HeParamsId, type SealModule } from '@fedmark/protocol';

// The package's .d.ts declares an ES default export, but the file is CommonJS whose
// module.exports is the factory itself, so under NodeNext the default import is that function.
const sealFactory = SEAL as unknown as () => Promise<SEALLibrary>;

let sealPromise: Promise<SealModule> | undefined;

/** Loads the SEAL WASM module once per process (compiling it takes ~0.5 s). */
export function loadSeal(): Promise<SealModule> {
  // `satisfies` checks node-seal's real types against protocol's structural SealModule.
  const p = sealPromise ?? sealFactory().then((lib) => lib satisfies SealModule);
  sealPromise = p;
  return p;
}

const heByParams = new Map<HeParamsId, Promise<He>>();

/**
 * The process-wide HE context for a parameter set (building a SEAL context is ~0.1-0.5 s and
 * holds WASM memory, so it is shared, never disposed while the process runs).
 */
export function loadHe(paramsId: HeParamsId): Promise<He> {
  let he = heByParams.get(paramsId);
  if (!he) {
    he = loadSeal().then((seal) => createHe(seal, paramsId));
    heByParams.set(paramsId, he);
  }
  return he;
}
