import { Badge } from '@fedmark/protocol/console';

const TONES: Record<string, 'good' | 'bad' | 'warn' | undefined> = {
  published: 'good',
  failed: 'bad',
  running: 'warn',
  setup: 'warn',
  open: 'warn',
  decrypting: 'warn',
  submitted: 'good',
  refused: 'bad',
  excluded: 'bad',
  pending: undefined,
};

/** A state word in a coloured badge (job, round or per-node state). */
export function StateBadge(p: { state: string; testId?: string }) {
  return (
    <Badge tone={TONES[p.state]} testId={p.testId}>
      {p.state}
    </Badge>
  );
}
