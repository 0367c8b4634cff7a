import { describe, expect, it } from 'vitest';
import { memoryUnitSource, type RowHint, type UnitSource } from '../analytics/index.ts';
import { recordingSource } from './_units-source.ts';

const DAY = 86_400_000;
const source = memoryUnitSource({
  customers: [{ customerId: 'c1' }, { customerId: 'c2' }],
  events: [
    { customerId: 'c1', time: DAY, type: 'visit', amount: null, channel: 'web', category: null },
    {
      customerId: 'c2',
      time: 2 * DAY,
      type: 'visit',
      amount: null,
      channel: 'app',
      category: null,
    },
  ],
  touches: [
    { customerId: 'c2', time: DAY, channel: 'sms', campaign: 'x', variant: null, outcome: 'none' },
  ],
});

describe('recordingSource', () => {
  it('passes each stream its row hint (a warehouse cuts rows in SQL by it)', () => {
    const hints: { stream: string; hint: RowHint | undefined }[] = [];
    const spy: UnitSource = {
      ...source,
      events: (hint) => {
        hints.push({ stream: 'events', hint });
        return source.events(hint);
      },
      touches: (hint) => {
        hints.push({ stream: 'touches', hint });
        return source.touches(hint);
      },
    };
    const { source: recorded } = recordingSource(spy);
    [...recorded.events({ perCustomer: 2 })];
    [...recorded.touches({ fromMs: DAY })];
    expect(hints).toEqual([
      { stream: 'events', hint: { perCustomer: 2 } },
      { stream: 'touches', hint: { fromMs: DAY } },
    ]);
  });

  it('records every customer any stream yields', () => {
    const { source: recorded, units } = recordingSource(source);
    [...recorded.events()];
    expect([...units]).toEqual(['c1', 'c2']);
    [...recorded.touches()];
    expect([...units].sort()).toEqual(['c1', 'c2']);
  });
});
