import { TrainSpecSchema } from '../model/train-spec.ts';

/**
 * A job spec as people write it: a JobSpec, or a bare train spec (docs/models.md §1), which
 * becomes the train job `{ version: 1, kind: 'train', name, minNodes, train: <spec> }` of §9 so
 * that the documented spec runs as written. Anything else is returned unchanged for JobSpecSchema
 * to judge (and name the field that is wrong).
 */
export function asJobSpec(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const o = input as Record<string, unknown>;
  if (o['kind'] !== 'train' || 'train' in o) return input;
  const train = TrainSpecSchema.safeParse(o);
  if (!train.success) return input;
  // The written spec itself, not the parsed one: JobSpecSchema fills its defaults once.
  return {
    version: 1,
    kind: 'train',
    name: train.data.name,
    minNodes: train.data.minNodes,
    train: o,
  };
}
