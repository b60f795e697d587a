import type { Random } from './random.ts';

const day = 86_400_000;

export const teams = ['frontline', 'technical', 'billing', 'vip'] as const;
export const segments = [
  ['smb', 60],
  ['mid_market', 30],
  ['enterprise', 10],
] as const;
const firstNames = [
  'Ana',
  'Bo',
  'Cyril',
  'Dana',
  'Eli',
  'Fatima',
  'Gus',
  'Hana',
  'Ivo',
  'Jun',
  'Kemal',
  'Lea',
  'Mo',
  'Nia',
  'Oskar',
  'Priya',
];

export interface Agent {
  id: string;
  name: string;
  team: string;
  hiredOn: number;
  leftOn: number | null;
  hourlyCost: number;
  /** Multiplies reply and resolution times: agents differ in speed. */
  speed: number;
  /** Shifts the chance of a good rating: agents differ in CSAT. */
  csatBias: number;
}

export interface Subscription {
  plan: string;
  mrr: number;
  startedOn: number;
  cancelledOn: number | null;
  cancelReason: string | null;
}

export interface Customer {
  id: string;
  segment: string;
  region: string;
  signedUpOn: number;
  subscriptions: Subscription[];
  /** First day with no subscription running, if the customer left. */
  leftOn: number | null;
}

export function isEmployed(agent: Agent, at: number): boolean {
  return agent.hiredOn <= at && (agent.leftOn === null || at < agent.leftOn);
}

export function isActive(customer: Customer, at: number): boolean {
  return customer.signedUpOn <= at && (customer.leftOn === null || at < customer.leftOn);
}

const floorDay = (ms: number) => Math.floor(ms / day) * day;

export function hireAgents(random: Random, count: number, windowStart: number, windowEnd: number): Agent[] {
  return Array.from({ length: count }, (_, i) => {
    const joinedDuringWindow = random.chance(0.15);
    const hiredOn = floorDay(
      joinedDuringWindow
        ? random.between(windowStart, windowEnd - 60 * day)
        : windowStart - random.between(30, 1500) * day,
    );
    const leaves = random.chance(0.12);
    const leftOn = leaves ? floorDay(random.between(Math.max(hiredOn + 60 * day, windowStart), windowEnd)) : null;
    return {
      id: `agent-${String(i + 1).padStart(4, '0')}`,
      name: `${random.pick(firstNames)} ${String.fromCharCode(65 + (i % 26))}.`,
      team: teams[i % teams.length]!,
      hiredOn,
      leftOn: leftOn !== null && leftOn < windowEnd ? leftOn : null,
      hourlyCost: Math.round(random.between(35, 60) * 100) / 100,
      speed: random.between(0.6, 1.8),
      csatBias: random.between(-0.15, 0.1),
    };
  });
}

const plans: Record<string, readonly (readonly [string, number])[]> = {
  smb: [
    ['starter', 49],
    ['team', 99],
  ],
  mid_market: [
    ['team', 99],
    ['business', 499],
  ],
  enterprise: [
    ['business', 499],
    ['enterprise', 2500],
  ],
};

/** Customers with their subscriptions: monthly churn ~2.5%, upgrades, downgrades, and some who join and leave inside a month. */
export function signCustomers(random: Random, count: number, windowStart: number, windowEnd: number): Customer[] {
  return Array.from({ length: count }, (_, i) => {
    const segment = random.weighted(segments);
    const signedUpOn = floorDay(
      random.chance(0.35) ? random.between(windowStart, windowEnd - day) : windowStart - random.between(1, 900) * day,
    );
    const [plan, price] = random.pick(plans[segment]!);
    const subscriptions: Subscription[] = [];
    let start = signedUpOn;
    let mrr: number = price;
    let currentPlan: string = plan;
    let leftOn: number | null;
    if (random.chance(0.03) && signedUpOn >= windowStart) {
      // Joined and left inside the same month: outside both churn counts.
      leftOn = signedUpOn + random.int(3, 20) * day;
      subscriptions.push({
        plan: currentPlan,
        mrr,
        startedOn: start,
        cancelledOn: leftOn,
        cancelReason: 'trial not converted',
      });
    } else {
      for (;;) {
        const months = Math.ceil(Math.log(1 - random.next()) / Math.log(1 - 0.025));
        const change = random.chance(0.25) ? start + random.int(30, 400) * day : null;
        const end = start + months * 30 * day;
        if (change !== null && change < end && change < windowEnd) {
          subscriptions.push({
            plan: currentPlan,
            mrr,
            startedOn: start,
            cancelledOn: change,
            cancelReason: 'plan change',
          });
          const up = random.chance(0.6);
          mrr = Math.round(mrr * (up ? 1.3 : 0.8));
          currentPlan = `${currentPlan}${up ? '+' : '-'}`;
          start = change;
          continue;
        }
        const cancelledOn = end < windowEnd ? floorDay(end) : null;
        subscriptions.push({
          plan: currentPlan,
          mrr,
          startedOn: start,
          cancelledOn,
          cancelReason: cancelledOn
            ? random.pick(['price', 'competitor', 'no longer needed', 'support experience'])
            : null,
        });
        leftOn = cancelledOn;
        break;
      }
    }
    return {
      id: `cust-${String(i + 1).padStart(6, '0')}`,
      segment,
      region: random.pick(['EU', 'NA', 'APAC', 'LATAM']),
      signedUpOn,
      subscriptions,
      leftOn,
    };
  });
}
