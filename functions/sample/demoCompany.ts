import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { addMonths, monthRange } from '../kpis/period.ts';
import { entities, type EntityName } from '../model/index.ts';
import { hireAgents, isActive, isEmployed, signCustomers, teams, type Agent, type Customer } from './cast.ts';
import { CsvFile, isoDay, isoSeconds, type Cell } from './csvFile.ts';
import { Random } from './random.ts';

/**
 * `pulse generate`: a realistic support organisation as CSV exports, one file per canonical
 * entity, seeded and deterministic, streamed so 1,000,000 tickets a month fit in flat memory.
 * The patterns are the ones real teams see: weekday and end-of-month peaks, a busy and a quiet
 * month, a channel mix, agents who differ in speed and CSAT, backlog, escalations, reopens,
 * survey answers, churn, and a fraction of dirty rows for the data-quality path.
 */
export interface GenerateOptions {
  outDir: string;
  months: number;
  ticketsPerMonth: number;
  seed: number;
  endMonth: string;
  timezone?: string;
  onProgress?: (ticketsWritten: number, ticketsTotal: number) => void;
}

export interface GenerateResult {
  files: Record<string, { path: string; rows: number }>;
  dirtyRows: number;
  tickets: number;
}

const hour = 3_600_000;
const day = 24 * hour;
const weekdayWeight = [0, 1.3, 1.15, 1.1, 1.05, 0.95, 0.35, 0.3]; // luxon weekday 1 = Monday
const channels = [
  ['email', 40],
  ['web', 20],
  ['chat', 15],
  ['phone', 12],
  ['messaging', 6],
  ['social', 4],
  ['api', 2],
  ['other', 1],
] as const;
const categories = [
  ['billing', 24],
  ['technical', 30],
  ['account', 16],
  ['shipping', 14],
  ['complaint', 6],
  ['feature_request', 6],
  ['other', 4],
] as const;
const priorities = [
  ['low', 20],
  ['normal', 55],
  ['high', 18],
  ['urgent', 7],
] as const;
const replyMedianHours: Record<string, number> = {
  email: 3,
  web: 4,
  chat: 0.1,
  phone: 0.05,
  messaging: 1,
  social: 6,
  api: 5,
  other: 8,
};
const priorityFactor: Record<string, number> = { urgent: 0.3, high: 0.6, normal: 1, low: 1.5 };
const hourWeights = [
  0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 1, 1.6, 1.9, 2, 1.9, 1.5, 1.8, 1.9, 1.8, 1.5, 1.1, 0.7, 0.5, 0.4, 0.3, 0.2,
  0.15,
];
const hourTotal = hourWeights.reduce((s, w) => s + w, 0);
const commentWords = [
  'helpful',
  'friendly',
  'fast',
  'slow',
  'refund',
  'invoice',
  'delivery',
  'app crash',
  'login',
  'confusing',
  'great service',
  'waited too long',
];

function columnsOf(name: EntityName): string[] {
  return entities.find((e) => e.name === name)!.columns.map((c) => c.name);
}

function hourOfDay(random: Random): number {
  let r = random.next() * hourTotal;
  for (let h = 0; h < 24; h += 1) {
    r -= hourWeights[h]!;
    if (r < 0) return h;
  }
  return 12;
}

export async function generateSampleCompany(options: GenerateOptions): Promise<GenerateResult> {
  const zone = options.timezone ?? 'UTC';
  const random = new Random(options.seed);
  const months = monthRange(addMonths(options.endMonth, -(options.months - 1)), options.endMonth);
  const windowStart = DateTime.fromISO(`${months[0]}-01`, { zone }).toMillis();
  const windowEnd = DateTime.fromISO(`${addMonths(options.endMonth, 1)}-01`, { zone }).toMillis();
  await mkdir(options.outDir, { recursive: true });
  const files = Object.fromEntries(
    entities.map((e) => [
      e.name,
      new CsvFile(path.join(options.outDir, `${e.name}.csv`), columnsOf(e.name as EntityName)),
    ]),
  ) as Record<EntityName, CsvFile>;

  const agents = hireAgents(
    random,
    Math.min(3000, Math.max(8, Math.round(options.ticketsPerMonth / 400))),
    windowStart,
    windowEnd,
  );
  const customers = signCustomers(
    random,
    Math.max(200, Math.round(options.ticketsPerMonth / 4)),
    windowStart,
    windowEnd,
  );
  for (const a of agents)
    await files.agents.write([
      a.id,
      a.name,
      a.team,
      isoDay(a.hiredOn),
      a.leftOn === null ? null : isoDay(a.leftOn),
      a.hourlyCost,
    ]);
  for (const c of customers) {
    await files.customers.write([c.id, c.segment, c.region, isoDay(c.signedUpOn)]);
    for (const s of c.subscriptions)
      await files.subscriptions.write([
        c.id,
        s.plan,
        s.mrr,
        isoDay(s.startedOn),
        s.cancelledOn === null ? null : isoDay(s.cancelledOn),
        s.cancelReason,
      ]);
  }

  const labourByMonthTeam = new Map<string, number>();
  for (let t = windowStart; t < windowEnd; t += day) {
    const local = DateTime.fromMillis(t, { zone });
    if (local.weekday > 5) continue;
    const month = local.toFormat('yyyy-MM');
    // Employment dates are calendar days: compare the local day, not the instant.
    const calendarDay = Date.parse(`${local.toISODate()}T00:00:00Z`);
    for (const a of agents) {
      if (!isEmployed(a, calendarDay)) continue;
      const worked = Math.round(random.between(7, 8.5) * 100) / 100;
      await files.agent_time.write([
        a.id,
        local.toISODate(),
        worked,
        Math.round(worked * random.between(0.7, 0.85) * 100) / 100,
      ]);
      const key = `${month}|${a.team}`;
      labourByMonthTeam.set(key, (labourByMonthTeam.get(key) ?? 0) + worked * a.hourlyCost);
    }
  }

  const pickAgent = (at: number): Agent | undefined => {
    for (let i = 0; i < 8; i += 1) {
      const a = random.pick(agents);
      if (isEmployed(a, at)) return a;
    }
    return agents.find((a) => isEmployed(a, at));
  };
  const pickCustomer = (at: number): Customer | undefined => {
    for (let i = 0; i < 8; i += 1) {
      const c = random.pick(customers);
      if (isActive(c, at)) return c;
    }
    return undefined;
  };

  const busyMonth = months.length - 3;
  const quietMonth = Math.max(0, months.length - 8);
  const ticketsTotal = options.ticketsPerMonth * months.length;
  let seq = 0;
  let dirtyRows = 0;
  const phoneTickets = new Map<string, number>();

  for (const [m, month] of months.entries()) {
    const first = DateTime.fromISO(`${month}-01`, { zone });
    const daysInMonth = first.daysInMonth!;
    const factor = (1 + 0.02 * m) * (m === busyMonth ? 1.35 : m === quietMonth ? 0.7 : 1);
    const weights = Array.from(
      { length: daysInMonth },
      (_, d) => weekdayWeight[first.plus({ days: d }).weekday]! * (d >= daysInMonth - 3 ? 1.3 : 1),
    );
    const weightTotal = weights.reduce((s, w) => s + w, 0);
    for (let d = 0; d < daysInMonth; d += 1) {
      const dayStart = first.plus({ days: d }).toMillis();
      // Rounded stochastically, so a small company still gets its tickets (10 a month is not 0).
      const count = Math.floor(
        ((options.ticketsPerMonth * factor * weights[d]!) / weightTotal) * random.between(0.9, 1.1) + random.next(),
      );
      for (let k = 0; k < count; k += 1) {
        seq += 1;
        const created = dayStart + hourOfDay(random) * hour + random.int(0, 3599) * 1000;
        const channel = random.weighted(channels);
        const category = random.weighted(categories);
        const priority = random.weighted(priorities);
        const agent = random.chance(0.04) ? undefined : pickAgent(created);
        const customer = pickCustomer(created);
        const speed = agent?.speed ?? 1.5;
        const replied = random.chance(0.96);
        let firstReply: number | null = replied
          ? created +
            Math.round(
              random.logNormal(replyMedianHours[channel]! * priorityFactor[priority]! * speed * hour, 1.0) / 1000,
            ) *
              1000
          : null;
        let solved: number | null =
          (firstReply ?? created) +
          Math.round(random.logNormal(18 * hour * speed * priorityFactor[priority]!, 1.1) / 1000) * 1000;
        if (firstReply !== null && firstReply >= windowEnd) firstReply = null;
        if (solved >= windowEnd || random.chance(0.01)) solved = null;
        const closed = solved !== null && solved + 4 * day < windowEnd ? solved + 4 * day : null;
        const status =
          closed !== null
            ? 'closed'
            : solved !== null
              ? 'solved'
              : random.pick(firstReply === null ? ['new', 'open'] : ['open', 'pending', 'on_hold']);
        const escalated = random.chance(category === 'complaint' ? 0.2 : 0.04);
        const reopens =
          solved !== null && random.chance(0.07)
            ? random.weighted([
                [1, 75],
                [2, 25],
              ] as const)
            : 0;
        const agentReplies =
          firstReply === null
            ? 0
            : random.weighted([
                [1, 55],
                [2, 25],
                [3, 10],
                [4, 6],
                [6, 4],
              ] as const) + reopens;
        const handle = Math.round(random.logNormal(channel === 'phone' ? 1200 : channel === 'chat' ? 900 : 600, 0.6));
        const resolutionHours = solved === null ? 0 : (solved - created) / hour;
        const good = 0.88 + (agent?.csatBias ?? -0.1) - Math.min(0.35, resolutionHours / 400);
        const rating =
          solved !== null && random.chance(0.25)
            ? random.chance(good)
              ? random.weighted([
                  [5, 65],
                  [4, 35],
                ] as const)
              : random.weighted([
                  [3, 40],
                  [2, 30],
                  [1, 30],
                ] as const)
            : null;
        const updated = Math.max(created, firstReply ?? 0, solved ?? 0, closed ?? 0);
        const id = `T${String(seq).padStart(8, '0')}`;
        const createdText = isoSeconds(created);
        let replyText = firstReply === null ? null : isoSeconds(firstReply);
        let solvedText = solved === null ? null : isoSeconds(solved);
        const dirt = random.chance(0.005) ? random.int(0, 7) : -1;
        if (dirt === 0 && solved !== null) solvedText = isoSeconds(created - 2 * hour); // resolved before created
        if (dirt === 1 && firstReply !== null) replyText = isoSeconds(created - 30 * 60_000); // reply before created
        const row: Cell[] = [
          id,
          'helpdesk',
          customer?.id,
          channel,
          category,
          priority,
          status,
          random.chance(0.002),
          createdText,
          replyText,
          solvedText,
          closed === null ? null : isoSeconds(closed),
          isoSeconds(updated),
          agent?.id,
          agent?.team ?? null,
          agent ? `grp-${agent.team}` : null,
          escalated,
          reopens,
          agentReplies,
          agentReplies + random.int(0, 3),
          handle,
          rating,
        ];
        await files.tickets.write(row);
        if (dirt >= 2) {
          dirtyRows += 1;
          const extra = [...row];
          if (dirt === 2) Object.assign(extra, { 0: `D${seq}`, 8: random.pick(['not a date', '2026-13-45 25:61']) }); // bad timestamp
          if (dirt === 3) Object.assign(extra, { 0: `D${seq}`, 3: 'fax' }); // unknown channel
          if (dirt === 4) Object.assign(extra, { 0: `D${seq}`, 6: 'archived' }); // unknown status
          if (dirt === 5) Object.assign(extra, { 0: `D${seq}`, 20: -5 }); // negative duration
          if (dirt === 7) Object.assign(extra, { 6: 'open', 10: null, 11: null, 12: createdText }); // older version written after
          await files.tickets.write(extra); // dirt 6: an exact duplicate
        } else if (dirt >= 0 && (solved !== null || firstReply !== null)) dirtyRows += 1;
        if (channel === 'phone' || channel === 'chat') {
          const abandoned = random.chance(0.06);
          const wait = Math.round(random.logNormal(12, 0.9));
          const talk = Math.round(handle * 0.7);
          await files.contacts.write([
            `C${seq}`,
            id,
            customer?.id,
            channel === 'phone' ? 'voice' : 'chat',
            isoSeconds(created - wait * 1000),
            abandoned ? null : isoSeconds(created),
            isoSeconds(created + talk * 1000),
            abandoned,
            abandoned ? 0 : talk,
            abandoned ? 0 : Math.round(handle * 0.1),
            abandoned ? 0 : Math.round(handle * 0.2),
            abandoned ? null : agent?.id,
          ]);
          if (channel === 'phone') phoneTickets.set(month, (phoneTickets.get(month) ?? 0) + 1);
        }
        if (rating !== null && solved !== null && solved + 2 * day < windowEnd) {
          await files.surveys.write([
            `S${seq}`,
            id,
            customer?.id,
            'csat',
            rating,
            random.chance(0.3) ? `${random.pick(commentWords)}, ${random.pick(commentWords)}` : null,
            isoSeconds(solved + random.int(2, 48) * hour),
          ]);
        }
        if (random.chance(0.1)) {
          if (firstReply !== null) await files.ticket_events.write([id, isoSeconds(firstReply), 'reply', agent?.id]);
          if (escalated) await files.ticket_events.write([id, isoSeconds(created + hour), 'escalation', agent?.id]);
          if (solved !== null) await files.ticket_events.write([id, solvedText, 'status_change', agent?.id]);
        }
        if (customer && random.chance(0.08)) {
          const ordered = created + random.int(1, 6) * day;
          if (ordered < windowEnd && isActive(customer, ordered))
            await writeOrder(files.orders, random, `OC${seq}`, customer.id, ordered, windowEnd);
        }
        if (seq % 1_000 === 0) options.onProgress?.(seq, ticketsTotal);
      }
    }
    await writeMonthlyActivity(
      files,
      random,
      month,
      first.toMillis(),
      first.plus({ months: 1 }).toMillis(),
      customers,
      windowEnd,
      options.ticketsPerMonth,
      m,
      months.length,
    );
    await writeCosts(
      files.costs,
      random,
      month,
      labourByMonthTeam,
      phoneTickets.get(month) ?? 0,
      agents.filter((a) => isEmployed(a, first.toMillis())).length,
    );
  }

  for (const file of Object.values(files)) await file.close();
  options.onProgress?.(seq, ticketsTotal);
  return {
    files: Object.fromEntries(Object.entries(files).map(([name, f]) => [name, { path: f.path, rows: f.rows }])),
    dirtyRows,
    tickets: seq,
  };
}

async function writeOrder(
  orders: CsvFile,
  random: Random,
  id: string,
  customerId: string,
  ordered: number,
  windowEnd: number,
): Promise<void> {
  const notified = ordered + random.int(1, 30) * 60_000;
  const entered = notified + Math.round(random.logNormal(40, 0.8)) * 60_000;
  const shipped = entered + Math.round(random.logNormal(24, 0.5)) * hour;
  const delivered = shipped + Math.round(random.logNormal(60, 0.5)) * hour;
  const requested = random.int(1, 10);
  await orders.write([
    id,
    customerId,
    isoSeconds(ordered),
    isoSeconds(notified),
    isoSeconds(entered),
    shipped < windowEnd ? isoSeconds(shipped) : null,
    delivered < windowEnd ? isoSeconds(delivered) : null,
    random.chance(0.04) ? random.int(1, 3) : 0,
    requested,
    random.chance(0.92) ? requested : random.int(0, requested - 1),
    random.chance(0.97),
    random.chance(0.95),
  ]);
}

async function writeMonthlyActivity(
  files: Record<EntityName, CsvFile>,
  random: Random,
  month: string,
  start: number,
  end: number,
  customers: Customer[],
  windowEnd: number,
  ticketsPerMonth: number,
  m: number,
  months: number,
): Promise<void> {
  const span = Math.min(end, windowEnd) - start;
  // Survey vocabulary shifts: app crashes creep in towards the end of the window.
  const vocabulary = m > months - 4 ? [...commentWords, 'app crash', 'app crash', 'login'] : commentWords;
  for (let i = 0; i < Math.round(customers.length * 0.05); i += 1) {
    const c = random.pick(customers);
    const at = start + Math.floor(random.next() * span);
    if (!isActive(c, at)) continue;
    const nps = random.weighted([
      [10, 22],
      [9, 18],
      [8, 18],
      [7, 12],
      [6, 8],
      [5, 7],
      [4, 5],
      [3, 4],
      [2, 3],
      [1, 2],
      [0, 1],
    ] as const);
    await files.surveys.write([
      `N${month}-${i}`,
      null,
      c.id,
      'nps',
      nps,
      random.chance(0.35) ? `${random.pick(vocabulary)} ${random.pick(vocabulary)}` : null,
      isoSeconds(at),
    ]);
    if (random.chance(0.5))
      await files.surveys.write([
        `E${month}-${i}`,
        null,
        c.id,
        'ces',
        random.weighted([
          [1, 10],
          [2, 25],
          [3, 25],
          [4, 18],
          [5, 12],
          [6, 6],
          [7, 4],
        ] as const),
        null,
        isoSeconds(at + hour),
      ]);
  }
  for (let i = 0; i < Math.round(customers.length * 0.3); i += 1) {
    const c = random.pick(customers);
    const at = start + Math.floor(random.next() * span);
    if (isActive(c, at)) await writeOrder(files.orders, random, `O${month}-${i}`, c.id, at, windowEnd);
  }
  for (let i = 0; i < Math.round(ticketsPerMonth * 0.8); i += 1) {
    const screens = random.int(1, 12);
    await files.self_service.write([
      `X${month}-${i}`,
      random.pick(customers).id,
      isoSeconds(start + Math.floor(random.next() * span)),
      random.chance(0.6),
      screens,
      screens + random.int(0, 2 * screens),
    ]);
  }
}

async function writeCosts(
  costs: CsvFile,
  random: Random,
  month: string,
  labour: Map<string, number>,
  phoneTickets: number,
  headcount: number,
): Promise<void> {
  let direct = 0;
  for (const team of teams) {
    const teamLabour = labour.get(`${month}|${team}`) ?? 0;
    direct += teamLabour;
    await costs.write([month, 'support', 'labor', null, team, Math.round(teamLabour * 0.15 * 100) / 100, 'USD']);
    await costs.write([
      month,
      'it',
      'tooling',
      null,
      team,
      Math.round(headcount * 30 * random.between(0.95, 1.05) * 100) / 100,
      'USD',
    ]);
  }
  await costs.write([
    month,
    'telephony',
    'telephony',
    'phone',
    null,
    Math.round(phoneTickets * 1.2 * 100) / 100,
    'USD',
  ]);
  await costs.write([month, 'it', 'network', null, null, Math.round(direct * 0.02 * 100) / 100, 'USD']);
  await costs.write([month, 'it', 'infrastructure', null, null, Math.round(direct * 0.03 * 100) / 100, 'USD']);
  await costs.write([month, 'facilities', 'facilities', null, null, Math.round(headcount * 300 * 100) / 100, 'USD']);
  await costs.write([month, 'finance', 'overhead', null, null, Math.round(direct * 0.1 * 100) / 100, 'USD']);
}
