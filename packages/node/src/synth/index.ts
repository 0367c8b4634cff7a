export { generateSynthetic, SYNTH_FILES, DEFAULT_START, DEFAULT_END } from './generate.ts';
export type { SynthOptions, SynthReport } from './generate.ts';
export { PROFILES, PROFILE_NAMES, TOUCH_CHANNELS } from './profiles.ts';
export type { ProfileName, Profile } from './profiles.ts';
export { Prng, seedToUint32 } from './prng.ts';
