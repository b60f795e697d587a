import { hostname } from 'node:os';
import { holderGone, processAlive, type Here } from '../ports/lakeLock.ts';
import type { StageContext } from './context.ts';

/**
 * A recipient's ledger entry (docs/design.md, "Deliver claims before it sends"): `pending` from the
 * claim, made before the send by a create-if-absent put, until the send is recorded as `sent`.
 * The claimer's run, pid and host tell a later run whether the claim is still being sent or was
 * left by a run that stopped.
 */
export interface LedgerEntry {
  state: 'pending' | 'sent';
  period: string;
  audience: string;
  runId: string;
  pid: number;
  host: string;
  claimedAt: string;
  /** Past this, a claim from another host is taken as left behind: a Lambda's longest run. */
  expires: string;
  messageId?: string;
  sentAt?: string;
}

export const claimTtlMs = 15 * 60_000;

/** What claiming a recipient found. */
export type Claim =
  | { kind: 'claimed'; entry: LedgerEntry; previous?: LedgerEntry }
  | { kind: 'already_sent' }
  | { kind: 'elsewhere'; entry: LedgerEntry };

/** An entry as stored; one written before claims existed has no state and records a send. */
export function readEntry(body: Buffer | undefined): LedgerEntry | undefined {
  if (!body) return undefined;
  const entry = JSON.parse(body.toString('utf8')) as Partial<LedgerEntry>;
  return { ...entry, state: entry.state ?? 'sent' } as LedgerEntry;
}

export const entryBody = (entry: LedgerEntry) => JSON.stringify(entry);

const hereNow = (): Here => ({ host: hostname(), now: new Date(), alive: processAlive });

/**
 * Claims `key` for this run before its send. Absent: a create-if-absent put (one of two runs
 * wins). Sent: nothing to do, unless --resend. Pending: another run's claim is left to it while
 * that run may still be sending (its process runs here, or its expiry has not passed); one left
 * by a run that is gone, or by an earlier attempt of this run, is taken over and `previous` says
 * whose it was. `entry` is this run's claim, as written.
 */
export async function claimRecipient(
  ctx: StageContext,
  key: string,
  audience: string,
  here: () => Here = hereNow,
): Promise<Claim> {
  const now = here();
  const mine: LedgerEntry = {
    state: 'pending',
    period: ctx.period.id,
    audience,
    runId: ctx.runId,
    pid: process.pid,
    host: now.host,
    claimedAt: now.now.toISOString(),
    expires: new Date(now.now.getTime() + claimTtlMs).toISOString(),
  };
  for (let look = 0; look < 3; look += 1) {
    const found = readEntry(await ctx.store.get(key));
    if (!found) {
      if (await ctx.store.putIfAbsent(key, entryBody(mine))) return { kind: 'claimed', entry: mine };
      continue;
    }
    if (found.state === 'sent' && !ctx.resend) return { kind: 'already_sent' };
    if (found.state === 'pending' && found.runId !== ctx.runId && !holderGone(found, here()))
      return { kind: 'elsewhere', entry: found };
    await ctx.store.put(key, entryBody(mine));
    return { kind: 'claimed', entry: mine, previous: found };
  }
  throw new Error(`${key}: the ledger entry appeared and vanished while being claimed: run deliver again`);
}
