import type { Prng } from './prng.ts';

/**
 * Behaviour of one kind of institution. Profiles differ in size, purchase rate, churn, spend and
 * channel mix on purpose: a federation of a retailer, a bank and a telecom is not identically
 * distributed, and the demo and tests should see that.
 */
export const PROFILE_NAMES = ['retail', 'bank', 'telecom'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Per-customer draw: attribute values plus multipliers on the profile's base behaviour. */
export interface CustomerTraits {
  attributes: Record<string, string | number>;
  rateMult: number;
  churnMult: number;
  spendMult: number;
}

export interface Campaign {
  name: string;
  /** Share of the window (0..1) at which the campaign starts and ends. */
  start: number;
  end: number;
  /** Probability that an eligible customer is targeted. */
  reach: number;
  category: string;
  /** Conversion probability given a click, per variant: the variants truly differ. */
  conversion: Record<string, number>;
}

export interface Profile {
  name: ProfileName;
  idPrefix: string;
  /** Customers when --customers is not given: the nodes of a demo federation differ in size. */
  defaultCustomers: number;
  attributeColumns: readonly string[];
  traits(rng: Prng): CustomerTraits;
  /** Purchases per day ~ Gamma(shape, scale) x rateMult (NBD heterogeneity, Ehrenberg 1959). */
  rate: { shape: number; scale: number };
  /** Dropout after each purchase ~ Beta(a, b) x churnMult (BG/NBD; Fader, Hardie & Lee 2005). */
  dropout: { a: number; b: number };
  /** Order value ~ lognormal(ln(median) , sigma) x customer spend level ~ Gamma(k, 1/k). */
  spend: { median: number; sigma: number; customerShape: number };
  visitsPerPurchase: number;
  eventChannels: { names: readonly string[]; weights: readonly number[] };
  categories: { names: readonly string[]; weights: readonly number[] };
  /** Relative activity per hour of day (UTC), 24 weights. */
  hours: readonly number[];
  /** Relative intensity by month (0-11) and weekday (0 = Sunday); max <= SEASON_MAX. */
  season(month: number, weekday: number): number;
  touchChannels: readonly number[]; // weights over TOUCH_CHANNELS
  campaigns: readonly Campaign[];
  /** Probability of granting each purpose at signup. */
  consent: { analytics: number; model_training: number; marketing: number };
}

export const TOUCH_CHANNELS = ['email', 'sms', 'app', 'web'] as const;
/** Upper bound of any profile's season(): the thinning envelope (Lewis & Shedler 1979). */
export const SEASON_MAX = 2;

const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;

function hours(peaks: [number, number][]): number[] {
  return Array.from(
    { length: 24 },
    (_, h) => 0.15 + peaks.reduce((s, [at, w]) => s + w * Math.exp(-((h - at) ** 2) / 8), 0)
  );
}

const retail: Profile = {
  name: 'retail',
  idPrefix: 'rt',
  defaultCustomers: 20_000,
  attributeColumns: ['age_band', 'region', 'loyalty_tier'],
  traits(rng) {
    const tier = rng.weighted([55, 28, 13, 4]);
    return {
      attributes: {
        age_band: rng.pick(AGE_BANDS, [12, 22, 21, 18, 15, 12]),
        region: rng.pick(['north', 'south', 'east', 'west', 'central'], [22, 25, 18, 20, 15]),
        loyalty_tier: ['bronze', 'silver', 'gold', 'platinum'][tier] as string,
      },
      rateMult: [0.7, 1.1, 1.8, 2.8][tier] as number,
      churnMult: [1.2, 0.9, 0.6, 0.4][tier] as number,
      spendMult: [0.9, 1, 1.2, 1.5][tier] as number,
    };
  },
  rate: { shape: 0.6, scale: 0.02 },
  dropout: { a: 0.8, b: 3 },
  spend: { median: 45, sigma: 0.8, customerShape: 6 },
  visitsPerPurchase: 3,
  eventChannels: { names: ['store', 'web', 'app'], weights: [45, 35, 20] },
  categories: {
    names: ['grocery', 'apparel', 'electronics', 'home', 'beauty'],
    weights: [40, 20, 10, 15, 15],
  },
  hours: hours([
    [12, 1],
    [18, 1.4],
  ]),
  season: (month, weekday) =>
    (month === 11 ? 1.5 : month === 10 ? 1.2 : 1) * (weekday === 0 || weekday === 6 ? 1.3 : 1),
  touchChannels: [50, 20, 20, 10],
  campaigns: [
    // Spring of the window's second year (2025-03 to 2025-05 by default) and wide reach: early
    // in the window only about a tenth of the customers had signed up, too few for the demo's
    // A/B interval to say anything (docs/coordinator.md, simulate).
    {
      name: 'spring_sale',
      start: 0.6,
      end: 0.7,
      reach: 0.9,
      category: 'apparel',
      conversion: { A: 0.12, B: 0.18 },
    },
    {
      name: 'loyalty_push',
      start: 0.45,
      end: 0.55,
      reach: 0.5,
      category: 'beauty',
      conversion: { A: 0.15, B: 0.1 },
    },
    {
      name: 'holiday_promo',
      start: 0.88,
      end: 0.97,
      reach: 0.7,
      category: 'electronics',
      conversion: { A: 0.1, B: 0.16 },
    },
  ],
  consent: { analytics: 0.93, model_training: 0.88, marketing: 0.8 },
};

const bank: Profile = {
  name: 'bank',
  idPrefix: 'bk',
  defaultCustomers: 8_000,
  attributeColumns: ['age_band', 'segment', 'risk_tier', 'volatility_pct'],
  traits(rng) {
    const seg = rng.weighted([70, 22, 5, 3]);
    const risk = rng.weighted([45, 35, 20]);
    // Realised annualised portfolio volatility (%), centred per declared risk tier: the declared
    // risk-preference bins <3 / 3-8 / >8 then mostly, but not exactly, recover the tier.
    const vol = rng.lognormal(Math.log([2, 5, 11][risk] as number), 0.45);
    return {
      attributes: {
        age_band: rng.pick(AGE_BANDS, [8, 18, 20, 20, 18, 16]),
        segment: ['mass', 'affluent', 'private', 'business'][seg] as string,
        risk_tier: ['conservative', 'balanced', 'growth'][risk] as string,
        volatility_pct: Math.round(Math.min(vol, 60) * 100) / 100,
      },
      rateMult: [1, 1.3, 1.6, 2.5][seg] as number,
      churnMult: [1.2, 0.8, 0.5, 0.7][seg] as number,
      spendMult: [1, 3, 10, 5][seg] as number,
    };
  },
  rate: { shape: 1.2, scale: 0.025 },
  dropout: { a: 0.5, b: 8 },
  spend: { median: 600, sigma: 1.2, customerShape: 3 },
  visitsPerPurchase: 3,
  eventChannels: { names: ['branch', 'web', 'app'], weights: [20, 35, 45] },
  categories: {
    names: ['deposit', 'fund', 'insurance', 'loan', 'card'],
    weights: [35, 20, 15, 10, 20],
  },
  hours: hours([
    [10, 1.2],
    [15, 1],
    [20, 0.6],
  ]),
  season: (month, weekday) =>
    (month === 0 ? 1.3 : month === 11 ? 0.8 : 1) * (weekday === 0 || weekday === 6 ? 0.5 : 1.1),
  touchChannels: [40, 15, 35, 10],
  campaigns: [
    {
      name: 'fund_launch',
      start: 0.2,
      end: 0.3,
      reach: 0.4,
      category: 'fund',
      conversion: { A: 0.06, B: 0.1 },
    },
    {
      name: 'card_upgrade',
      start: 0.6,
      end: 0.72,
      reach: 0.5,
      category: 'card',
      conversion: { A: 0.14, B: 0.09 },
    },
  ],
  consent: { analytics: 0.95, model_training: 0.9, marketing: 0.7 },
};

const telecom: Profile = {
  name: 'telecom',
  idPrefix: 'tc',
  defaultCustomers: 12_000,
  attributeColumns: ['contract', 'payment_method', 'monthly_charges'],
  traits(rng) {
    const contract = rng.weighted([55, 21, 24]);
    const pay = rng.weighted([34, 23, 22, 21]);
    const charges = 18 + rng.beta(1.4, 1.1) * 100;
    return {
      attributes: {
        contract: ['month-to-month', 'one-year', 'two-year'][contract] as string,
        payment_method: ['electronic_check', 'mailed_check', 'bank_transfer', 'credit_card'][
          pay
        ] as string,
        monthly_charges: Math.round(charges * 100) / 100,
      },
      rateMult: 0.6 + charges / 80,
      // Month-to-month contracts and electronic cheques churn most in the public telco samples.
      churnMult: ([2, 0.7, 0.3][contract] as number) * (pay === 0 ? 1.4 : 1),
      spendMult: charges / 60,
    };
  },
  rate: { shape: 2, scale: 0.01 },
  dropout: { a: 1, b: 9 },
  spend: { median: 20, sigma: 0.6, customerShape: 8 },
  visitsPerPurchase: 2,
  eventChannels: { names: ['app', 'web', 'store'], weights: [50, 30, 20] },
  categories: { names: ['topup', 'addon', 'device', 'roaming'], weights: [50, 25, 10, 15] },
  hours: hours([
    [8, 0.6],
    [19, 1.5],
    [22, 0.8],
  ]),
  season: (month, weekday) => (month === 6 || month === 7 ? 1.4 : 1) * (weekday === 5 ? 1.2 : 1),
  touchChannels: [25, 40, 30, 5],
  campaigns: [
    {
      name: 'retention_offer',
      start: 0.25,
      end: 0.35,
      reach: 0.5,
      category: 'addon',
      conversion: { A: 0.08, B: 0.13 },
    },
    {
      name: 'data_bundle',
      start: 0.5,
      end: 0.6,
      reach: 0.6,
      category: 'addon',
      conversion: { A: 0.15, B: 0.11 },
    },
    {
      name: 'streaming_addon',
      start: 0.8,
      end: 0.9,
      reach: 0.45,
      category: 'addon',
      conversion: { A: 0.07, B: 0.1 },
    },
  ],
  consent: { analytics: 0.9, model_training: 0.86, marketing: 0.78 },
};

export const PROFILES: Record<ProfileName, Profile> = { retail, bank, telecom };
