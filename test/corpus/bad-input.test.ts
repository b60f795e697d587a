import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../functions/errors.ts';
import type { EntityName } from '../../functions/model/index.ts';
import { reasonCodes } from '../../functions/model/rowRules.ts';
import type { AcceptedRow, RejectedRow } from '../../functions/ports/source.ts';
import { readExport } from '../support/readExport.ts';

/**
 * The bad-input corpus (docs/design.md, "Bad input"): one broken export per case, for every entity,
 * each with its outcome written beside it: a row kept, a field issue (field + reason), a row
 * rejected (reason + field), or an error that names the file and says what to do. For every
 * case the rows read are the rows accepted plus the rows rejected: nothing vanishes.
 */
const tmp = path.resolve(import.meta.dirname, '../../.tmp');
mkdirSync(tmp, { recursive: true });
// A folder of its own per run, so runs side by side never remove each other's files.
const root = mkdtempSync(path.join(tmp, 'bad-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Outcome =
  | {
      /** Data rows in the file, counted by hand. */
      read: number;
      /** [row, reason, field] of every rejected row. */
      rejected?: [number, string, string | null][];
      /** [row, field, reason] of every field issue of the accepted rows. */
      issues?: [number, string, string][];
      /** [row, fields] an accepted row holds (timestamps as ISO strings). */
      kept?: [number, Record<string, unknown>][];
    }
  | { error: RegExp };

interface Case {
  name: string;
  entity: EntityName;
  csv: string | Buffer;
  /** Source keys besides name, type, entity and path. */
  source?: Record<string, unknown>;
  /** The config's currency; default USD. */
  currency?: string;
  zone?: string;
  outcome: Outcome;
}

const t = 'id,created_at,status';
const ticketsWide =
  'id,created_at,status,channel,priority,solved_at,reopens,is_escalated,handle_seconds,satisfaction,category,team';
const ok = '2026-10-01T08:00:00Z';

const cases: Case[] = [
  // ---- tickets: optional fields cost the field, required fields the row
  {
    name: 'tickets: unknown channel takes the default "other"',
    entity: 'tickets',
    csv: `${t},channel\n1,${ok},open,fax\n`,
    outcome: { read: 1, issues: [[1, 'channel', 'unknown_value']], kept: [[1, { channel: 'other' }]] },
  },
  {
    name: 'tickets: unknown priority takes the default "normal"',
    entity: 'tickets',
    csv: `${t},priority\n1,${ok},open,P1 - Critical\n`,
    outcome: { read: 1, issues: [[1, 'priority', 'unknown_value']], kept: [[1, { priority: 'normal' }]] },
  },
  {
    name: 'tickets: unknown status rejects the row (status places it)',
    entity: 'tickets',
    csv: `${t}\n1,${ok},archived\n2,${ok},open\n`,
    outcome: { read: 2, rejected: [[1, 'unknown_value', 'status']] },
  },
  {
    name: 'tickets: impossible date (30 February) rejects the row',
    entity: 'tickets',
    csv: `${t}\n1,2026-02-30 10:00,open\n`,
    outcome: { read: 1, rejected: [[1, 'bad_timestamp', 'created_at']] },
  },
  {
    name: 'tickets: hour 25 in an optional timestamp is a field issue',
    entity: 'tickets',
    csv: `${t},solved_at\n1,${ok},solved,2026-10-01 25:00\n`,
    outcome: { read: 1, issues: [[1, 'solved_at', 'bad_timestamp']], kept: [[1, { solved_at: undefined }]] },
  },
  {
    name: 'tickets: a wall-clock time skipped by DST (29 March 03:30 in Helsinki) is a bad timestamp',
    entity: 'tickets',
    zone: 'Europe/Helsinki',
    csv: `${t}\n1,2026-03-29 03:30,open\n2,2026-03-29 02:30,open\n`,
    outcome: {
      read: 2,
      rejected: [[1, 'bad_timestamp', 'created_at']],
      kept: [[2, { created_at: '2026-03-29T00:30:00.000Z' }]],
    },
  },
  {
    // 03:00–04:00 on 25 October happens twice in Helsinki; the earlier (summer time, UTC+3) is
    // read, on both engines: Trino's with_timezone takes it, DuckDB's timezone() the later
    // (functions/dialect/ruleDialect.ts, earlierOccurrence).
    name: 'tickets: an ambiguous time (DST end) is kept, read as its first occurrence',
    entity: 'tickets',
    zone: 'Europe/Helsinki',
    csv: `${t}\n1,2026-10-25 03:30,open\n`,
    outcome: { read: 1, kept: [[1, { created_at: '2026-10-25T00:30:00.000Z' }]] },
  },
  {
    // A two-digit year: each engine would give it its own century (or year 26), so it is not a timestamp.
    name: 'tickets: with a dateFormat of yyyy, a two-digit year is a bad timestamp on either engine',
    entity: 'tickets',
    source: { dateFormat: 'dd.MM.yyyy HH:mm' },
    csv: `${t}\n1,01.10.26 08:00,open\n2,01.10.2026 08:00,open\n`,
    outcome: {
      read: 2,
      rejected: [[1, 'bad_timestamp', 'created_at']],
      kept: [[2, { created_at: '2026-10-01T08:00:00.000Z' }]],
    },
  },
  {
    // 01:00–02:00 on 2 November 2025 happens twice in New York: 01:30 EDT (05:30Z), then EST (06:30Z).
    name: 'tickets: at the New York fold, 01:30 is its first occurrence (EDT); the hours around it read as one',
    entity: 'tickets',
    zone: 'America/New_York',
    csv: `${t}\n1,2025-11-02 01:30,open\n2,2025-11-02 00:59,open\n3,2025-11-02 02:00,open\n4,11/2/2025 1:30 AM,open\n`,
    outcome: {
      read: 4,
      kept: [
        [1, { created_at: '2025-11-02T05:30:00.000Z' }],
        [2, { created_at: '2025-11-02T04:59:00.000Z' }],
        [3, { created_at: '2025-11-02T07:00:00.000Z' }],
        [4, { created_at: '2025-11-02T05:30:00.000Z' }],
      ],
    },
  },
  {
    name: 'tickets: solved before created is kept as is (curate leaves it out of time metrics)',
    entity: 'tickets',
    csv: `${t},solved_at\n1,2026-10-05T08:00:00Z,solved,2026-10-01T08:00:00Z\n`,
    outcome: { read: 1, issues: [], kept: [[1, { solved_at: '2026-10-01T08:00:00.000Z' }]] },
  },
  {
    name: 'tickets: a negative duration is a field issue, null (not 0)',
    entity: 'tickets',
    csv: `${t},handle_seconds\n1,${ok},open,-5\n`,
    outcome: { read: 1, issues: [[1, 'handle_seconds', 'out_of_range']], kept: [[1, { handle_seconds: null }]] },
  },
  {
    name: 'tickets: an absurd duration: overflowing is a field issue, ten years is kept (no cap in the model)',
    entity: 'tickets',
    csv: `${t},handle_seconds\n1,${ok},open,1e400\n2,${ok},open,315360000\n`,
    outcome: {
      read: 2,
      issues: [[1, 'handle_seconds', 'bad_number']],
      kept: [
        [1, { handle_seconds: null }],
        [2, { handle_seconds: 315360000 }],
      ],
    },
  },
  {
    // One number grammar on both engines (functions/dialect/validation.ts, numberGrammar): Java's
    // parser, behind Athena's cast, reads 5d and 0x1p3, DuckDB's reads 1_000; none is a number here.
    name: 'tickets: a number is digits, sign, point, exponent: 5d, 0x1p3, 1_000 are not numbers on either engine',
    entity: 'tickets',
    csv: `${t},handle_seconds\n${['5d', '0x1p3', '1_000', 'Infinity', '5.', '.5', '+1e3', '2.5E-1'].map((n, i) => `${i + 1},${ok},open,${n}\n`).join('')}`,
    outcome: {
      read: 8,
      issues: [1, 2, 3, 4].map((row) => [row, 'handle_seconds', 'bad_number'] as [number, string, string]),
      kept: [
        [1, { handle_seconds: null }],
        [3, { handle_seconds: null }],
        [5, { handle_seconds: 5 }],
        [6, { handle_seconds: 0.5 }],
        [7, { handle_seconds: 1000 }],
        [8, { handle_seconds: 0.25 }],
      ],
    },
  },
  {
    name: 'tickets: satisfaction 6 on a 1-5 scale is a field issue',
    entity: 'tickets',
    csv: `${t},satisfaction\n1,${ok},solved,6\n`,
    outcome: { read: 1, issues: [[1, 'satisfaction', 'out_of_range']], kept: [[1, { satisfaction: null }]] },
  },
  {
    name: 'tickets: a count that is not a number is null although the schema defaults it to 0',
    entity: 'tickets',
    csv: `${t},reopens\n1,${ok},open,two\n`,
    outcome: { read: 1, issues: [[1, 'reopens', 'bad_number']], kept: [[1, { reopens: null }]] },
  },
  {
    name: 'tickets: a flag that is not true/false takes its default',
    entity: 'tickets',
    csv: `${t},is_escalated\n1,${ok},open,maybe\n`,
    outcome: { read: 1, issues: [[1, 'is_escalated', 'bad_boolean']], kept: [[1, { is_escalated: false }]] },
  },
  {
    name: 'tickets: several bad optional fields in one row: all counted, the row kept',
    entity: 'tickets',
    csv: `${ticketsWide}\n1,${ok},solved,fax,p9,yesterday,-1,perhaps,sixty,0,billing,alpha\n`,
    outcome: {
      read: 1,
      issues: [
        // In column order: cells unreadable as their type, and values the schema refuses.
        [1, 'channel', 'unknown_value'],
        [1, 'priority', 'unknown_value'],
        [1, 'solved_at', 'bad_timestamp'],
        [1, 'is_escalated', 'bad_boolean'],
        [1, 'reopens', 'out_of_range'],
        [1, 'handle_seconds', 'bad_number'],
        [1, 'satisfaction', 'out_of_range'],
      ],
      kept: [[1, { channel: 'other', priority: 'normal', reopens: null, category: 'billing', team: 'alpha' }]],
    },
  },
  {
    name: 'tickets: duplicate ids are both accepted (curate keeps one)',
    entity: 'tickets',
    csv: `${t}\n1,${ok},open\n1,${ok},open\n`,
    outcome: {
      read: 2,
      kept: [
        [1, { id: '1' }],
        [2, { id: '1' }],
      ],
    },
  },
  {
    name: 'tickets: conflicting versions of one id are both accepted (the latest updated_at wins in curate)',
    entity: 'tickets',
    csv: `${t},updated_at\n1,${ok},solved,2026-10-02T08:00:00Z\n1,${ok},open,2026-10-01T09:00:00Z\n`,
    outcome: {
      read: 2,
      kept: [
        [1, { status: 'solved' }],
        [2, { status: 'open' }],
      ],
    },
  },
  {
    name: 'tickets: an empty id and an id of blanks are missing',
    entity: 'tickets',
    csv: `${t}\n,${ok},open\n"   ",${ok},open\n`,
    outcome: {
      read: 2,
      rejected: [
        [1, 'missing_required', 'id'],
        [2, 'missing_required', 'id'],
      ],
    },
  },
  {
    name: 'tickets: too many and too few columns',
    entity: 'tickets',
    csv: `${t}\n1,${ok},open,extra\n2,${ok}\n3,${ok},open\n`,
    outcome: {
      read: 3,
      rejected: [
        [1, 'column_count', null],
        [2, 'column_count', null],
      ],
    },
  },
  {
    name: 'tickets: a truncated file (the last row cut short, no newline)',
    entity: 'tickets',
    csv: `${t}\n1,${ok},open\n2,2026-10-0`,
    outcome: { read: 2, rejected: [[2, 'column_count', null]] },
  },
  {
    name: 'tickets: quoted cells with the delimiter, doubled quotes and a line break are data',
    entity: 'tickets',
    csv: `${t},category\n1,${ok},open,"refund, partial ""urgent""\nsecond line"\n`,
    outcome: { read: 1, kept: [[1, { category: 'refund, partial "urgent"\nsecond line' }]] },
  },
  {
    name: 'tickets: a stray quote inside an unquoted cell is data (here a bad timestamp)',
    entity: 'tickets',
    csv: `${t}\n1,2026"-10-01,open\n2,${ok},open\n`,
    outcome: { read: 2, rejected: [[1, 'bad_timestamp', 'created_at']] },
  },
  {
    name: 'tickets: an oversized text field is kept whole (reports cut labels, the lake keeps all)',
    entity: 'tickets',
    csv: `${t},category\n1,${ok},open,${'x'.repeat(200_000)}\n`,
    outcome: { read: 1, kept: [[1, { category: 'x'.repeat(200_000) }]] },
  },
  {
    name: 'tickets: spreadsheet formulas in text are kept verbatim (neutralised where cells are written)',
    entity: 'tickets',
    csv: `${t},category,team\n1,${ok},open,"=HYPERLINK(""http://evil.example"",""x"")",+cmd|' /C calc'!A0\n2,${ok},open,@SUM(A1:A9),-2+3\n`,
    outcome: {
      read: 2,
      kept: [
        [1, { category: '=HYPERLINK("http://evil.example","x")', team: "+cmd|' /C calc'!A0" }],
        [2, { category: '@SUM(A1:A9)', team: '-2+3' }],
      ],
    },
  },
  {
    name: 'tickets: HTML in text is kept verbatim (escaped where it is printed)',
    entity: 'tickets',
    csv: `${t},category\n1,${ok},open,<script>alert(1)</script><img src=x onerror=alert(2)>\n`,
    outcome: { read: 1, kept: [[1, { category: '<script>alert(1)</script><img src=x onerror=alert(2)>' }]] },
  },
  {
    name: 'tickets: a formula in a number field is not a number',
    entity: 'tickets',
    csv: `${t},handle_seconds\n1,${ok},open,=60*60\n`,
    outcome: { read: 1, issues: [[1, 'handle_seconds', 'bad_number']] },
  },
  {
    name: 'tickets: control bytes in a text field are a field issue, in the id they reject the row',
    entity: 'tickets',
    csv: `${t},team\n1,${ok},open,alpha\u0007\u001b[31m\n2\u0008,${ok},open,beta\n`,
    outcome: {
      read: 2,
      rejected: [[2, 'bad_encoding', 'id']],
      issues: [[1, 'team', 'bad_encoding']],
      kept: [[1, { team: undefined }]],
    },
  },
  { name: 'tickets: a header and no rows reads nothing', entity: 'tickets', csv: `${t}\n`, outcome: { read: 0 } },
  {
    name: 'tickets: an empty file is an error naming it',
    entity: 'tickets',
    csv: '',
    outcome: { error: /^export\.csv: the file is empty/ },
  },
  {
    name: 'tickets: a mapped column missing from the header is an error naming it',
    entity: 'tickets',
    csv: `${t}\n1,${ok},open\n`,
    source: { columns: { created_at: 'Created Date' } },
    outcome: { error: /^export\.csv: column "Created Date" mapped to created_at is not in the header/ },
  },
  {
    name: 'tickets: a required field without a column is an error saying to map it',
    entity: 'tickets',
    csv: 'id,status\n1,open\n',
    outcome: { error: /^export\.csv: required field created_at has no column \(map it in sources\[\]\.columns\)/ },
  },
  {
    name: 'tickets: a German export (semicolons, dd.MM.yyyy HH:mm, decimal commas)',
    entity: 'tickets',
    zone: 'Europe/Berlin',
    source: { delimiter: ';', dateFormat: 'dd.MM.yyyy HH:mm', decimal: ',' },
    csv: `id;created_at;status;handle_seconds\n1;01.10.2026 09:15;open;1234,5\n2;02.10.2026 17:00;solved;1.234,5\n3;2026-10-03T08:00:00Z;open;12\n`,
    outcome: {
      read: 3,
      kept: [
        [1, { created_at: '2026-10-01T07:15:00.000Z', handle_seconds: 1234.5 }],
        [2, { created_at: '2026-10-02T15:00:00.000Z', handle_seconds: 1234.5 }],
        [3, { created_at: '2026-10-03T08:00:00.000Z', handle_seconds: 12 }],
      ],
    },
  },
  {
    name: 'tickets: with a dateFormat, a US-style date is not guessed, and 1,234.5 is not a number with decimal ","',
    entity: 'tickets',
    source: { delimiter: ';', dateFormat: 'dd.MM.yyyy HH:mm', decimal: ',' },
    csv: `id;created_at;status;handle_seconds\n1;10/13/2026 09:15;open;1\n2;13.10.2026 09:15;open;1,234.5\n`,
    outcome: { read: 2, rejected: [[1, 'bad_timestamp', 'created_at']], issues: [[2, 'handle_seconds', 'bad_number']] },
  },

  {
    // Issue 21: without a decimal key, 12,500 was read as 12500 while 90,5 was rejected.
    name: 'tickets: with no decimal key, a comma in a number is never guessed: 12,500 and 90,5 are bad_number',
    entity: 'tickets',
    source: { delimiter: ';' },
    csv: `id;created_at;status;handle_seconds\n1;${ok};open;12,500\n2;${ok};open;90,5\n3;${ok};open;12.5\n`,
    outcome: {
      read: 3,
      issues: [
        [1, 'handle_seconds', 'bad_number'],
        [2, 'handle_seconds', 'bad_number'],
      ],
      kept: [
        [1, { handle_seconds: null }],
        [3, { handle_seconds: 12.5 }],
      ],
    },
  },
  {
    name: 'tickets: with dateFormat d/M/yy the year is 20yy; a four-digit year is not that format',
    entity: 'tickets',
    source: { dateFormat: 'd/M/yy' },
    csv: `${t}\n1,10/5/26,open\n2,10/5/2026,open\n`,
    outcome: {
      read: 2,
      rejected: [[2, 'bad_timestamp', 'created_at']],
      kept: [[1, { created_at: '2026-05-10T00:00:00.000Z' }]],
    },
  },
  {
    name: 'tickets: with no dateFormat, 10/5/26 is a bad timestamp (never the year 10 or 26)',
    entity: 'tickets',
    csv: `${t}\n1,10/5/26,open\n2,10/5/2026,open\n`,
    outcome: {
      read: 2,
      rejected: [[1, 'bad_timestamp', 'created_at']],
      kept: [[2, { created_at: '2026-10-05T00:00:00.000Z' }]],
    },
  },

  // ---- ticket_events
  {
    name: 'ticket_events: unknown kind rejects the event',
    entity: 'ticket_events',
    csv: `ticket_id,at,kind\nT1,${ok},comment\nT1,${ok},reply\n`,
    outcome: { read: 2, rejected: [[1, 'unknown_value', 'kind']] },
  },
  {
    name: 'ticket_events: a missing timestamp rejects the event',
    entity: 'ticket_events',
    csv: 'ticket_id,at,kind\nT1,,reply\n',
    outcome: { read: 1, rejected: [[1, 'missing_required', 'at']] },
  },

  // ---- contacts
  {
    name: 'contacts: unknown channel rejects the contact (channel has no default)',
    entity: 'contacts',
    csv: `id,channel,queued_at\nC1,sms,${ok}\n`,
    outcome: { read: 1, rejected: [[1, 'unknown_value', 'channel']] },
  },
  {
    name: 'contacts: answered before queued drops the answer time, the contact is kept',
    entity: 'contacts',
    csv: 'id,channel,queued_at,answered_at,ended_at\nC1,voice,2026-10-01T08:00:00Z,2026-10-01T07:59:00Z,2026-10-01T08:10:00Z\n',
    outcome: {
      read: 1,
      issues: [[1, 'answered_at', 'inconsistent']],
      kept: [[1, { answered_at: null, ended_at: '2026-10-01T08:10:00.000Z' }]],
    },
  },
  {
    name: 'contacts: ended before answered drops the end time',
    entity: 'contacts',
    csv: 'id,channel,queued_at,answered_at,ended_at\nC1,chat,2026-10-01T08:00:00Z,2026-10-01T08:05:00Z,2026-10-01T08:04:00Z\n',
    outcome: {
      read: 1,
      issues: [[1, 'ended_at', 'inconsistent']],
      kept: [[1, { answered_at: '2026-10-01T08:05:00.000Z', ended_at: null }]],
    },
  },
  {
    name: 'contacts: a negative talk time is null, not the default 0',
    entity: 'contacts',
    csv: `id,channel,queued_at,talk_seconds\nC1,voice,${ok},-30\n`,
    outcome: { read: 1, issues: [[1, 'talk_seconds', 'out_of_range']], kept: [[1, { talk_seconds: null }]] },
  },
  {
    name: 'contacts: an unreadable abandoned flag takes its default',
    entity: 'contacts',
    csv: `id,channel,queued_at,abandoned\nC1,voice,${ok},perhaps\n`,
    outcome: { read: 1, issues: [[1, 'abandoned', 'bad_boolean']], kept: [[1, { abandoned: false }]] },
  },

  // ---- agents
  {
    name: 'agents: left before being hired is inconsistent',
    entity: 'agents',
    csv: 'id,name,team,hired_on,left_on\nA1,Ann,alpha,2026-05-01,2026-04-30\n',
    outcome: { read: 1, rejected: [[1, 'inconsistent', 'left_on']] },
  },
  {
    name: 'agents: left on the day hired is kept (left_on is the first day gone)',
    entity: 'agents',
    csv: 'id,name,team,hired_on,left_on\nA1,Ann,alpha,2026-05-01,2026-05-01\n',
    outcome: { read: 1, kept: [[1, { left_on: '2026-05-01' }]] },
  },
  {
    name: 'agents: month 13 in the hiring date rejects the agent',
    entity: 'agents',
    csv: 'id,name,team,hired_on\nA1,Ann,alpha,2026-13-01\n',
    outcome: { read: 1, rejected: [[1, 'bad_date', 'hired_on']] },
  },
  {
    name: 'agents: a negative or absurd hourly cost is a field issue',
    entity: 'agents',
    csv: 'id,name,team,hired_on,loaded_hourly_cost\nA1,Ann,alpha,2026-01-01,-40\nA2,Bo,beta,2026-01-01,1e17\nA3,Cy,beta,2026-01-01,55.5\n',
    outcome: {
      read: 3,
      issues: [
        [1, 'loaded_hourly_cost', 'out_of_range'],
        [2, 'loaded_hourly_cost', 'out_of_range'],
      ],
      kept: [
        [1, { loaded_hourly_cost: null }],
        [3, { loaded_hourly_cost: 55.5 }],
      ],
    },
  },
  {
    name: 'agents: a missing name rejects the agent (name is required)',
    entity: 'agents',
    csv: 'id,name,team,hired_on\nA1,,alpha,2026-01-01\n',
    outcome: { read: 1, rejected: [[1, 'missing_required', 'name']] },
  },

  // ---- agent_time
  {
    name: 'agent_time: 25 hours worked in a day is out of range',
    entity: 'agent_time',
    csv: 'agent_id,date,hours_worked\nA1,2026-10-01,25\n',
    outcome: { read: 1, rejected: [[1, 'out_of_range', 'hours_worked']] },
  },
  {
    name: 'agent_time: more hours on tickets than worked drops hours_on_tickets',
    entity: 'agent_time',
    csv: 'agent_id,date,hours_worked,hours_on_tickets\nA1,2026-10-01,6,7\nA1,2026-10-02,6,-1\n',
    outcome: {
      read: 2,
      issues: [
        [1, 'hours_on_tickets', 'inconsistent'],
        [2, 'hours_on_tickets', 'out_of_range'],
      ],
      kept: [[1, { hours_worked: 6, hours_on_tickets: null }]],
    },
  },
  {
    name: 'agent_time: a semicolon export with day-first dates and decimal commas',
    entity: 'agent_time',
    source: { delimiter: ';', dateFormat: 'dd.MM.yyyy', decimal: ',' },
    csv: 'agent_id;date;hours_worked;hours_on_tickets\nA1;01.10.2026;7,5;6,25\n',
    outcome: { read: 1, kept: [[1, { date: '2026-10-01', hours_worked: 7.5, hours_on_tickets: 6.25 }]] },
  },

  // ---- customers
  {
    name: 'customers: 31 February rejects the customer',
    entity: 'customers',
    csv: 'id,signed_up_on\nK1,2026-02-31\n',
    outcome: { read: 1, rejected: [[1, 'bad_date', 'signed_up_on']] },
  },
  {
    name: 'customers: a day-first signup date with its dateFormat (a timestamp format reads a date cell)',
    entity: 'customers',
    source: { dateFormat: 'dd.MM.yyyy HH:mm' },
    csv: 'id,signed_up_on\nK1,01.10.2026\n',
    outcome: { read: 1, kept: [[1, { signed_up_on: '2026-10-01', segment: 'unknown' }]] },
  },

  // ---- subscriptions
  {
    name: 'subscriptions: cancelled before it started is inconsistent',
    entity: 'subscriptions',
    csv: 'customer_id,plan,mrr,started_on,cancelled_on\nK1,pro,99,2026-10-01,2026-09-30\n',
    outcome: { read: 1, rejected: [[1, 'inconsistent', 'cancelled_on']] },
  },
  {
    name: 'subscriptions: cancelled on its start day is kept (never ran)',
    entity: 'subscriptions',
    csv: 'customer_id,plan,mrr,started_on,cancelled_on\nK1,pro,99,2026-10-01,2026-10-01\n',
    outcome: { read: 1, kept: [[1, { cancelled_on: '2026-10-01' }]] },
  },
  {
    name: 'subscriptions: a negative or absurd MRR, or one in another currency, rejects the row; $ under USD reads',
    entity: 'subscriptions',
    csv: 'customer_id,plan,mrr,started_on\nK1,pro,-99,2026-10-01\nK2,pro,1e20,2026-10-01\nK3,pro,€99,2026-10-01\nK4,pro,0,2026-10-01\nK5,pro,$99,2026-10-01\n',
    outcome: {
      read: 5,
      rejected: [
        [1, 'out_of_range', 'mrr'],
        [2, 'out_of_range', 'mrr'],
        [3, 'currency_mismatch', 'mrr'],
      ],
      kept: [
        [4, { mrr: 0 }],
        [5, { mrr: 99 }],
      ],
    },
  },

  // ---- surveys
  {
    name: "surveys: a score outside its kind's scale rejects the answer",
    entity: 'surveys',
    csv: `id,kind,score,answered_at\nS1,csat,6,${ok}\nS2,ces,0,${ok}\nS3,nps,11,${ok}\nS4,nps,0,${ok}\nS5,ces,7,${ok}\n`,
    outcome: {
      read: 5,
      rejected: [
        [1, 'out_of_range', 'score'],
        [2, 'out_of_range', 'score'],
        [3, 'out_of_range', 'score'],
      ],
      kept: [
        [4, { score: 0 }],
        [5, { score: 7 }],
      ],
    },
  },
  {
    name: 'surveys: an unknown kind rejects the answer',
    entity: 'surveys',
    csv: `id,kind,score,answered_at\nS1,ces2,3,${ok}\n`,
    outcome: { read: 1, rejected: [[1, 'unknown_value', 'kind']] },
  },
  {
    name: 'surveys: a fractional score is not a whole number',
    entity: 'surveys',
    csv: `id,kind,score,answered_at\nS1,csat,4.5,${ok}\n`,
    outcome: { read: 1, rejected: [[1, 'bad_number', 'score']] },
  },

  // ---- costs
  {
    name: "costs: a row in another currency than the config's is rejected, not converted",
    entity: 'costs',
    csv: 'period,cost_center,category,amount,currency\n2026-10,cc1,tooling,100,EUR\n2026-10,cc1,tooling,100,usd\n',
    outcome: { read: 2, rejected: [[1, 'currency_mismatch', 'currency']], kept: [[2, { currency: 'usd' }]] },
  },
  {
    name: "costs: no currency column takes the config's currency",
    entity: 'costs',
    currency: 'EUR',
    csv: 'period,cost_center,category,amount\n2026-10,cc1,tooling,100\n',
    outcome: { read: 1, kept: [[1, { currency: 'EUR' }]] },
  },
  {
    name: 'costs: a negative amount is a credit and kept',
    entity: 'costs',
    csv: 'period,cost_center,category,amount\n2026-10,cc1,tooling,-250.75\n',
    outcome: { read: 1, kept: [[1, { amount: -250.75 }]] },
  },
  {
    name: 'costs: month 13 rejects the row',
    entity: 'costs',
    csv: 'period,cost_center,category,amount\n2026-13,cc1,tooling,1\n',
    outcome: { read: 1, rejected: [[1, 'bad_date', 'period']] },
  },
  {
    name: 'costs: an unknown category rejects the row',
    entity: 'costs',
    csv: 'period,cost_center,category,amount\n2026-10,cc1,marketing,1\n',
    outcome: { read: 1, rejected: [[1, 'unknown_value', 'category']] },
  },
  {
    name: 'costs: an amount too large for decimal(18,2) rejects the row',
    entity: 'costs',
    csv: 'period,cost_center,category,amount\n2026-10,cc1,tooling,99999999999999999\n',
    outcome: { read: 1, rejected: [[1, 'out_of_range', 'amount']] },
  },
  {
    name: 'costs: a semicolon ledger with decimal commas and thousands dots',
    entity: 'costs',
    currency: 'EUR',
    source: { delimiter: ';', decimal: ',' },
    csv: 'period;cost_center;category;amount;currency\n2026-10;cc1;telephony;1.234,50;EUR\n2026-10;cc1;network;-0,5;EUR\n',
    outcome: {
      read: 2,
      kept: [
        [1, { amount: 1234.5 }],
        [2, { amount: -0.5 }],
      ],
    },
  },

  {
    // Issue 21: the labour row `45.678,90 €` was rejected as bad_number.
    name: "costs: money as exported: the config's currency sign or code is read, another's is currency_mismatch",
    entity: 'costs',
    currency: 'EUR',
    source: { delimiter: ';', decimal: ',' },
    csv: 'period;cost_center;category;amount\n2026-10;cc1;labor;45.678,90 €\n2026-10;cc1;tooling;EUR 12,50\n2026-10;cc1;tooling;12,50 USD\n',
    outcome: {
      read: 3,
      rejected: [[3, 'currency_mismatch', 'amount']],
      kept: [
        [1, { amount: 45678.9 }],
        [2, { amount: 12.5 }],
      ],
    },
  },

  // ---- orders
  {
    name: 'orders: more items shipped first than requested drops items_shipped_first',
    entity: 'orders',
    csv: `id,ordered_at,items_requested,items_shipped_first\nO1,${ok},3,5\nO2,${ok},3,3\n`,
    outcome: {
      read: 2,
      issues: [[1, 'items_shipped_first', 'inconsistent']],
      kept: [
        [1, { items_requested: 3, items_shipped_first: null }],
        [2, { items_shipped_first: 3 }],
      ],
    },
  },
  {
    name: 'orders: negative or fractional items requested reject the order',
    entity: 'orders',
    csv: `id,ordered_at,items_requested\nO1,${ok},-1\nO2,${ok},2.5\n`,
    outcome: {
      read: 2,
      rejected: [
        [1, 'out_of_range', 'items_requested'],
        [2, 'bad_number', 'items_requested'],
      ],
    },
  },
  {
    name: 'orders: delivered before ordered is kept as is (curate leaves it out of time metrics)',
    entity: 'orders',
    csv: 'id,ordered_at,delivered_at,items_requested\nO1,2026-10-05T08:00:00Z,2026-10-01T08:00:00Z,1\n',
    outcome: { read: 1, issues: [], kept: [[1, { delivered_at: '2026-10-01T08:00:00.000Z' }]] },
  },
  {
    name: 'orders: unreadable entry errors (null) and invoice flag (its default)',
    entity: 'orders',
    csv: `id,ordered_at,items_requested,entry_errors,invoice_accurate\nO1,${ok},1,n/a,maybe\n`,
    outcome: {
      read: 1,
      issues: [
        [1, 'entry_errors', 'bad_number'],
        [1, 'invoice_accurate', 'bad_boolean'],
      ],
      kept: [[1, { entry_errors: null, invoice_accurate: true }]],
    },
  },
  {
    name: 'orders: a duplicate order id is accepted twice (curate keeps the last ingested)',
    entity: 'orders',
    csv: `id,ordered_at,items_requested\nO1,${ok},1\nO1,${ok},2\n`,
    outcome: {
      read: 2,
      kept: [
        [1, { items_requested: 1 }],
        [2, { items_requested: 2 }],
      ],
    },
  },

  // ---- self_service
  {
    name: 'self_service: an unreadable completed flag rejects the session (it is required)',
    entity: 'self_service',
    csv: `session_id,started_at,completed,screens,clicks\nX1,${ok},maybe,3,4\n`,
    outcome: { read: 1, rejected: [[1, 'bad_boolean', 'completed']] },
  },
  {
    name: 'self_service: negative clicks and overflowing screens reject the session',
    entity: 'self_service',
    csv: `session_id,started_at,completed,screens,clicks\nX1,${ok},yes,3,-3\nX2,${ok},no,1e400,1\nX3,${ok},no,2,1\n`,
    outcome: {
      read: 3,
      rejected: [
        [1, 'out_of_range', 'clicks'],
        [2, 'bad_number', 'screens'],
      ],
    },
  },
  {
    name: 'self_service: wrong column count',
    entity: 'self_service',
    csv: `session_id,started_at,completed,screens,clicks\nX1,${ok},yes,3\n`,
    outcome: { read: 1, rejected: [[1, 'column_count', null]] },
  },

  // ---- byte and line level: what the reader (csvReader.ts) does before a record is converted
  {
    name: 'reader: a UTF-8 BOM and CRLF line ends',
    entity: 'tickets',
    csv: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${t},category\r\n1,${ok},open,Café\r\n`)]),
    outcome: { read: 1, kept: [[1, { id: '1', category: 'Café' }]] },
  },
  {
    name: 'reader: UTF-16LE with its BOM (an Excel "Unicode text" save)',
    entity: 'tickets',
    csv: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${t},category\r\n1,${ok},open,Café\r\n`, 'utf16le')]),
    outcome: { read: 1, kept: [[1, { category: 'Café' }]] },
  },
  {
    name: 'reader: windows-1252 named by the encoding key',
    entity: 'tickets',
    source: { encoding: 'windows-1252' },
    csv: Buffer.concat([Buffer.from(`${t},category\n1,${ok},open,Caf`), Buffer.from([0xe9]), Buffer.from('\n')]),
    outcome: { read: 1, kept: [[1, { category: 'Café' }]] },
  },
  {
    name: 'reader: a byte invalid in UTF-8 rejects its line as bad_encoding, never replaced',
    entity: 'tickets',
    csv: Buffer.concat([
      Buffer.from(`${t},category\n1,${ok},open,Caf`),
      Buffer.from([0xe9]),
      Buffer.from(`\n2,${ok},open,ok\n`),
    ]),
    outcome: { read: 2, rejected: [[1, 'bad_encoding', null]], kept: [[2, { category: 'ok' }]] },
  },
  {
    name: 'reader: a NUL byte rejects its line as bad_encoding',
    entity: 'tickets',
    csv: `${t},category\n1,${ok},open,a\u0000b\n2,${ok},open,ok\n`,
    outcome: { read: 2, rejected: [[1, 'bad_encoding', null]] },
  },
  {
    name: 'reader: a semicolon export without a delimiter key (the header decides)',
    entity: 'tickets',
    csv: `id;created_at;status\n1;${ok};open\n`,
    outcome: { read: 1, kept: [[1, { id: '1', status: 'open' }]] },
  },
  {
    name: "reader: Excel's sep=; first line names the delimiter",
    entity: 'tickets',
    csv: `sep=;\nid;created_at;status\n1;${ok};open\n`,
    outcome: { read: 1, kept: [[1, { id: '1' }]] },
  },
  {
    name: 'reader: CR-only line ends (classic Mac)',
    entity: 'tickets',
    csv: `${t}\r1,${ok},open\r2,${ok},solved\r`,
    outcome: {
      read: 2,
      kept: [
        [1, { id: '1' }],
        [2, { status: 'solved' }],
      ],
    },
  },
  {
    name: 'reader: an unclosed quote rejects its line and reading resumes on the next',
    entity: 'tickets',
    csv: `${t}\n1,${ok},open\n2,"2026-10-01,open\n3,${ok},open\n`,
    outcome: {
      read: 3,
      rejected: [[2, 'malformed_csv', null]],
      kept: [
        [1, { id: '1' }],
        [3, { id: '3' }],
      ],
    },
  },
  {
    name: 'reader: an Excel workbook given as a CSV source says to export CSV',
    entity: 'tickets',
    csv: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]),
    outcome: { error: /export it as CSV/ },
  },
];

/** One case read the way a run reads it (test/support/readExport.ts: extract, the validation SQL, curate). */
const read = (testCase: Case, dir: string) =>
  readExport(testCase.csv, {
    dir,
    entity: testCase.entity,
    ...(testCase.source ? { source: testCase.source } : {}),
    ...(testCase.zone ? { zone: testCase.zone } : {}),
    ...(testCase.currency ? { currency: testCase.currency } : {}),
  });

/** A value as the corpus writes it: timestamps as ISO strings, an absent field as undefined. */
const plain = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

describe('the bad-input corpus', () => {
  it('has at least 40 distinct cases across every entity', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.entity))).toEqual(
      new Set([
        'tickets',
        'ticket_events',
        'contacts',
        'agents',
        'agent_time',
        'customers',
        'subscriptions',
        'surveys',
        'costs',
        'orders',
        'self_service',
      ]),
    );
  });

  cases.forEach((testCase, index) => {
    it(testCase.name, async () => {
      // prepare
      const dir = path.join(root, String(index).padStart(3, '0'));
      const { outcome } = testCase;
      if ('error' in outcome) {
        // act + assess: a clear SourceError that names the file, never a stack trace
        const error = await read(testCase, dir).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SourceError);
        expect((error as SourceError).message).toMatch(outcome.error);
        return;
      }
      // act
      const { rows, totals } = await read(testCase, dir);
      // assess: rows read = accepted + rejected, and each outcome as written
      const accepted = rows.filter((r): r is AcceptedRow => r.ok);
      const rejected = rows.filter((r): r is RejectedRow => !r.ok);
      expect(rows).toHaveLength(outcome.read);
      expect(accepted.length + rejected.length).toBe(outcome.read);
      expect(totals).toMatchObject({
        rowsRead: outcome.read,
        rowsAccepted: accepted.length,
        rowsRejected: rejected.length,
      });
      expect(rejected.map((r) => [r.location.row, r.reason, r.field])).toEqual(outcome.rejected ?? []);
      for (const r of rejected) {
        expect(reasonCodes).toContain(r.reason);
        // Each reject names the file and the line (and the row, once the record could be read).
        expect(r.message).toMatch(/^export\.csv line \d+[ :]/);
      }
      if (outcome.issues) {
        expect(accepted.flatMap((r) => (r.issues ?? []).map((i) => [r.location.row, i.field, i.reason]))).toEqual(
          outcome.issues,
        );
      }
      for (const r of accepted) for (const issue of r.issues ?? []) expect(reasonCodes).toContain(issue.reason);
      for (const [row, fields] of outcome.kept ?? []) {
        const record = accepted.find((r) => r.location.row === row)?.record;
        expect(record, `row ${row} is accepted`).toBeDefined();
        // An empty field is a null column in the engine, whether the old reader left it out or nulled it.
        expect(Object.fromEntries(Object.keys(fields).map((f) => [f, plain(record![f])]))).toEqual(
          Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v ?? null])),
        );
      }
    });
  });
});
