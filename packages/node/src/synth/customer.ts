import type { Prng } from './prng.ts';
import { SEASON_MAX, TOUCH_CHANNELS, type Profile } from './profiles.ts';

/** One simulated customer, everything that ends up in the four CSV files. Times are ms (UTC). */
export interface SimCustomer {
  id: string;
  signupMs: number;
  attributes: Record<string, string | number>;
  events: {
    time: number;
    type: 'purchase' | 'visit';
    amount: number | null;
    channel: string;
    category: string | null;
  }[];
  touches: { time: number; channel: string; campaign: string; variant: string; outcome: Outcome }[];
  consents: {
    purpose: ConsentPurpose;
    status: 'granted' | 'revoked';
    time: number;
    source: string;
  }[];
  /** The churn label of churn.csv: no purchase in the CHURN_HORIZON_DAYS after the window. */
  churn: boolean;
}

export type Outcome = 'none' | 'opened' | 'clicked' | 'converted';
export type ConsentPurpose = 'analytics' | 'model_training' | 'marketing';
const PURPOSES: readonly ConsentPurpose[] = ['analytics', 'model_training', 'marketing'];

export const DAY_MS = 86_400_000;
/** Opening probability per touch channel (email, sms, app, web), typical CRM benchmark levels. */
const OPEN_RATE = [0.3, 0.45, 0.4, 0.25];
const CLICK_GIVEN_OPEN = 0.4;
/** Days after the window over which churn.csv's label looks ahead (one quarter). */
export const CHURN_HORIZON_DAYS = 90;

/** The simulation window with per-day lookups (Date objects are too slow per event at 10^7 rows). */
export class Window {
  readonly startMs: number;
  readonly endMs: number; // exclusive
  private readonly dates: string[] = [];
  private readonly months: number[] = [];
  private readonly weekdays: number[] = [];

  constructor(startMs: number, endMs: number) {
    this.startMs = startMs;
    this.endMs = endMs;
    for (let d = startMs; d < endMs; d += DAY_MS) {
      const date = new Date(d);
      this.dates.push(date.toISOString().slice(0, 10));
      this.months.push(date.getUTCMonth());
      this.weekdays.push(date.getUTCDay());
    }
  }

  private index(ms: number): number {
    return Math.floor((ms - this.startMs) / DAY_MS);
  }

  season(profile: Profile, ms: number): number {
    const i = this.index(ms);
    return profile.season(this.months[i] as number, this.weekdays[i] as number);
  }

  date(ms: number): string {
    return this.dates[this.index(ms)] as string;
  }

  /** ISO 8601 UTC with whole seconds, e.g. 2024-03-05T14:22:10Z. */
  isoTime(ms: number): string {
    const s = Math.floor((ms - this.startMs) / 1000) % 86_400;
    return `${this.date(ms)}T${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}Z`;
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Places an instant at a profile-typical hour of its day (seconds resolution). */
function atHour(rng: Prng, profile: Profile, ms: number): number {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  return day + rng.weighted(profile.hours) * 3_600_000 + rng.int(3600) * 1000;
}

/**
 * Non-homogeneous Poisson process on [from, to) with intensity rate x season(t), by thinning a
 * homogeneous process of rate x SEASON_MAX (Lewis & Shedler 1979). `onArrival` returns false to stop.
 */
function poisson(
  sim: Sim,
  span: { ratePerDay: number; from: number; to: number },
  onArrival: (t: number) => boolean
): void {
  const { rng, profile, w } = sim;
  const { ratePerDay, from, to } = span;
  if (ratePerDay <= 0) return;
  let t = from;
  for (;;) {
    t += rng.exponential(ratePerDay * SEASON_MAX) * DAY_MS;
    if (t >= to) return;
    if (rng.uniform() * SEASON_MAX >= w.season(profile, t)) continue;
    if (!onArrival(t)) return;
  }
}

function consentsFor(
  rng: Prng,
  profile: Profile,
  signupMs: number,
  w: Window
): SimCustomer['consents'] {
  const out: SimCustomer['consents'] = [];
  for (const purpose of PURPOSES) {
    const later = () => signupMs + 1000 + Math.floor(rng.uniform() * (w.endMs - signupMs - 1000));
    if (rng.bernoulli(profile.consent[purpose])) {
      out.push({ purpose, status: 'granted', time: signupMs, source: 'signup' });
      if (rng.bernoulli(purpose === 'marketing' ? 0.08 : 0.04)) {
        out.push({ purpose, status: 'revoked', time: later(), source: 'preference_center' });
      }
    } else if (rng.bernoulli(0.15)) {
      out.push({ purpose, status: 'granted', time: later(), source: 'preference_center' });
    }
  }
  return out;
}

function marketingAllowed(consents: SimCustomer['consents'], at: number): boolean {
  let ok = false;
  for (const c of consents)
    if (c.purpose === 'marketing' && c.time <= at) ok = c.status === 'granted';
  return ok;
}

/** What a simulation runs with: the customer's own PRNG stream, the profile and the window. */
export interface Sim {
  rng: Prng;
  profile: Profile;
  w: Window;
}

export function simulateCustomer(sim: Sim, index: number): SimCustomer {
  const { rng, profile, w } = sim;
  const traits = profile.traits(rng);
  const span = w.endMs - w.startMs;
  // Acquisition grows over the window (u^0.85 leans towards later signups), never on the last day.
  const signupDay =
    w.startMs + Math.floor((Math.pow(rng.uniform(), 0.85) * (span - DAY_MS)) / DAY_MS) * DAY_MS;
  const signupMs = atHour(rng, profile, signupDay);
  const rate = rng.gamma(profile.rate.shape, profile.rate.scale) * traits.rateMult;
  const dropout = Math.min(0.95, rng.beta(profile.dropout.a, profile.dropout.b) * traits.churnMult);
  const k = profile.spend.customerShape;
  const spendLevel = rng.gamma(k, 1 / k) * traits.spendMult * profile.spend.median;
  const events: SimCustomer['events'] = [];
  const order = (t: number, channel: string, category: string) => {
    const amount = Math.max(
      0.5,
      Math.round(spendLevel * rng.lognormal(0, profile.spend.sigma) * 100) / 100
    );
    events.push({ time: t, type: 'purchase', amount, channel, category });
  };
  const place = (t: number) => Math.max(signupMs, atHour(rng, profile, t));
  const channel = () => rng.pick(profile.eventChannels.names, profile.eventChannels.weights);
  const category = () => rng.pick(profile.categories.names, profile.categories.weights);

  // Purchases until the BG-style dropout: after each purchase the customer leaves with prob `dropout`.
  let deathMs = w.endMs;
  if (rng.bernoulli(0.5)) order(signupMs, channel(), category());
  poisson(sim, { ratePerDay: rate, from: signupMs, to: w.endMs }, (t) => {
    order(place(t), channel(), category());
    if (!rng.bernoulli(dropout)) return true;
    deathMs = t;
    return false;
  });
  // Browsing continues a little past the last purchase (about a month on average), then stops.
  const visitsEnd = Math.min(
    w.endMs,
    deathMs === w.endMs ? w.endMs : deathMs + rng.exponential(1 / 30) * DAY_MS
  );
  poisson(
    sim,
    { ratePerDay: rate * profile.visitsPerPurchase + 0.002, from: signupMs, to: visitsEnd },
    (t) => {
      events.push({
        time: place(t),
        type: 'visit',
        amount: null,
        channel: channel(),
        category: null,
      });
      return true;
    }
  );

  const consents = consentsFor(rng, profile, signupMs, w);
  const touches: SimCustomer['touches'] = [];
  for (const c of profile.campaigns) {
    const from = w.startMs + Math.floor(c.start * span);
    const to = w.startMs + Math.floor(c.end * span);
    if (signupMs >= to - 7 * DAY_MS || !rng.bernoulli(c.reach)) continue;
    const variants = Object.keys(c.conversion);
    const variant = rng.pick(variants);
    const times: number[] = [];
    for (let n = 1 + rng.int(4); n > 0; n--)
      times.push(
        Math.max(from, signupMs) + Math.floor(rng.uniform() * (to - Math.max(from, signupMs)))
      );
    times.sort((a, b) => a - b);
    for (const raw of times) {
      const t = Math.min(to - 1000, atHour(rng, profile, raw));
      if (!marketingAllowed(consents, t)) continue; // compliant senders only touch consenting customers
      const ch = rng.weighted(TOUCH_CHANNELS.map((_, i) => profile.touchChannels[i] as number));
      const alive = t < deathMs ? 1 : 0.4;
      let outcome: Outcome = 'none';
      if (rng.bernoulli((OPEN_RATE[ch] as number) * alive)) outcome = 'opened';
      if (outcome === 'opened' && rng.bernoulli(CLICK_GIVEN_OPEN)) outcome = 'clicked';
      if (outcome === 'clicked' && rng.bernoulli((c.conversion[variant] as number) * alive))
        outcome = 'converted';
      const chName = TOUCH_CHANNELS[ch] as string;
      touches.push({ time: t, channel: chName, campaign: c.name, variant, outcome });
      if (outcome === 'converted') {
        const when = t + Math.floor(rng.exponential(2) * DAY_MS);
        if (when < w.endMs) order(when, chName === 'app' ? 'app' : 'web', c.category);
        break; // converted customers leave the campaign
      }
    }
  }
  // The label looks past the window: a customer who has not dropped out buys again at their own
  // rate (no seasonality) and churns if the first purchase falls after the horizon; one who
  // dropped out churns. It is drawn last from the customer's stream, so it changes none of the
  // draws above and the four other files stay byte-identical to a generator without it.
  const alive = deathMs === w.endMs;
  const churn = !alive || rng.exponential(rate) > CHURN_HORIZON_DAYS;
  events.sort((a, b) => a.time - b.time || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  touches.sort((a, b) => a.time - b.time);
  const id = `${profile.idPrefix}${String(index + 1).padStart(7, '0')}`;
  return { id, signupMs, attributes: traits.attributes, events, touches, consents, churn };
}
