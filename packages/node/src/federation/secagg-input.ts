import {
  SecaggSetupSchema,
  advertOf,
  checkAdverts,
  isProtocolError,
  type JobRoundTask,
  type Member,
  type SecaggAdvert,
  type SecaggSecrets,
} from '@fedmark/protocol';
import type { AgentContext } from './context.ts';
import { pinnedAmong } from './secagg-setup.ts';
import { getSecagg } from './secagg-store.ts';

/** What masking a round's release needs: the checked advertisements and this node's secrets. */
export interface MaskingInput {
  /** Sorted by node, this node's own included; their names are the nodes it masks with. */
  adverts: SecaggAdvert[];
  /** The caller zeroes them once the masked vector is computed. */
  secrets: SecaggSecrets;
  /** The round's threshold as this node set it up: the fewest inputs a sum can be unmasked of. */
  threshold: number;
}

/**
 * The masked-input phase's checks (docs/secure-aggregation.md "Round phases" 3), before anything
 * is released so a round this node cannot mask charges no budget: this node's own setup of the
 * round is stored with its secrets, for the round spec the task names, and every advertisement
 * is signed by a pinned participant of that setup and agrees with it (protocol `checkAdverts`:
 * round, spec, threshold, participant set, this node's own advertisement unchanged, at least
 * `threshold` of them). Returns a refusal reason (`CODE: message`) or the masking input.
 */
export function maskingInputOf(
  ctx: AgentContext,
  task: JobRoundTask,
  specHash: string,
  /** The pinned members of task.keyId (requireInstalledEpoch, already checked by the caller). */
  members: readonly Member[]
): MaskingInput | { refusal: string } {
  const where = `secure aggregation ${task.jobId}/${task.round}`;
  const stored = getSecagg(ctx.db, task.jobId, task.round);
  if (!stored)
    return {
      refusal: `SECAGG_SETUP_MISSING: ${where}: this node sent no setup for the round, so it holds no masks to submit with`,
    };
  const secrets = stored.secrets;
  if (!secrets)
    return { refusal: `CONFLICT: ${where}: this node's round secrets are already erased` };
  let ready = false;
  try {
    if (stored.specHash !== specHash || stored.keyId !== task.keyId)
      return {
        refusal: `CONFLICT: ${where}: this node set up the round for another round spec or key epoch`,
      };
    const own = advertOf(SecaggSetupSchema.parse(JSON.parse(stored.setupBody)));
    const keys = pinnedAmong(members, stored.participants, where);
    const adverts = checkAdverts(own, task.secagg.adverts, (n) => keys.get(n)?.signingKey);
    ready = true;
    return { adverts, secrets, threshold: own.threshold };
  } catch (err) {
    if (isProtocolError(err)) return { refusal: `${err.code}: ${err.message}` };
    throw err;
  } finally {
    if (!ready) {
      secrets.selfSecret.fill(0);
      secrets.maskSecretKey.fill(0);
    }
  }
}
