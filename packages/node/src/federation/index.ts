/**
 * The node's federation agent (docs/federation-protocol.md, node side): enrollment, the HE key
 * ceremony, secure-aggregation setup, job rounds (release, mask, encrypt, sign, submit or
 * refuse), unmask answers and checked decryption. All HTTP goes through one fetch-like function
 * (the egress seam).
 *
 * @example
 * import { enrollNode, runAgent } from './federation/index.ts';
 * await enrollNode({ dir: '/srv/node-a', coordinatorUrl: 'https://127.0.0.1:7600', token, tlsFingerprint: 'sha256:9f2c...' });
 * const stop = new AbortController();
 * await runAgent({ dir: '/srv/node-a', coordinatorUrl: 'https://127.0.0.1:7600', pollMs: 500, signal: stop.signal });
 */
export { runAgent, type RunAgentOptions } from './agent.ts';
export { agentEventLevel, pinoAgentLog, stderrAgentLog } from './agent-log.ts';
/** POST /v1/enroll with a one-time token; admissionCommand prints the manual alternative, pinCoordinator its other half. */
export {
  enrollNode,
  admissionCommand,
  pinCoordinator,
  pinnedCoordinator,
  COORDINATOR_FILE,
  type EnrollNodeOptions,
  type EnrollResult,
} from './enroll.ts';
/** Signed, retrying, schema-validating coordinator client and the egress seam type. */
export {
  createCoordinatorClient,
  TransientError,
  type FetchFn,
  type AgentLog,
  type CoordinatorClient,
} from './client.ts';
/** Task handlers (used by runAgent; exported for tools and tests). */
export { handleKeyGenerate, handleKeyInstall } from './key-ceremony.ts';
export { handleJobRound } from './job-round.ts';
export { handleDecrypt } from './decrypt.ts';
/** Secure aggregation (docs/secure-aggregation.md): a round's setup and a survivor's unmask answer. */
export { handleSecaggSetup } from './secagg-setup.ts';
export { handleSecaggUnmask } from './secagg-unmask.ts';
export type { AgentContext, ReleaseFn, ReleaseResult } from './context.ts';
