import { ReplayServer } from './replayServer.ts';

/**
 * Salesforce replayed in the shapes of its REST and Bulk API 2.0 references: the OAuth 2.0
 * client-credentials token (400 invalid_client for wrong ones; the instance_url data calls go
 * to), query jobs (UploadComplete, then InProgress, then JobComplete, one step per poll), CSV
 * results paged by the Sforce-Locator header ("null" on the last page, every page with its
 * header row), SystemModstamp windows read from the SOQL.
 */
export interface SalesforceCase {
  Id: string;
  Status: string;
  Priority: string;
  Origin: string;
  Type: string;
  IsClosed: boolean;
  ClosedDate: string;
  IsEscalated: boolean;
  IsDeleted: boolean;
  OwnerId: string;
  ContactId: string;
  AccountId: string;
  CreatedDate: string;
  SystemModstamp: string;
}

export interface SalesforceAccount {
  cases: SalesforceCase[];
  /** CaseId → CompletionDate of its completed First Response milestone. */
  firstResponse: Map<string, string>;
  clientId: string;
  clientSecret: string;
}

/** Salesforce's datetime spelling: milliseconds and +0000. */
const sfTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export function salesforceAccount(count: number): SalesforceAccount {
  const start = Date.parse('2026-10-01T00:00:00Z');
  const step = Math.floor((31 * 86_400_000) / count);
  const cases = Array.from({ length: count }, (_, i): SalesforceCase => {
    const created = start + i * step;
    const closed = i % 3 === 0;
    return {
      Id: `500${String(i).padStart(12, '0')}`,
      Status: closed ? 'Closed' : ['New', 'Working', 'Escalated'][i % 3]!,
      Priority: ['Low', 'Medium', 'High', 'Critical'][i % 4]!,
      Origin: ['Email', 'Web', 'Phone', 'Chat', 'Social'][i % 5]!,
      Type: i % 2 ? 'Problem' : 'Question',
      IsClosed: closed,
      ClosedDate: closed ? sfTime(created + 5 * 3600_000) : '',
      IsEscalated: i % 7 === 0,
      IsDeleted: i % 25 === 24,
      OwnerId: i % 4 === 3 ? `00G${String(i).padStart(12, '0')}` : `005${String(i % 6).padStart(12, '0')}`,
      ContactId: i % 5 === 4 ? '' : `003${String(i % 17).padStart(12, '0')}`,
      AccountId: `001${String(i % 9).padStart(12, '0')}`,
      CreatedDate: sfTime(created),
      SystemModstamp: sfTime(created + 6 * 3600_000),
    };
  });
  const firstResponse = new Map(
    cases
      .filter((_, i) => i % 2 === 0)
      .map((c) => [c.Id, sfTime(Date.parse(c.CreatedDate.replace('+0000', 'Z')) + 40 * 60_000)]),
  );
  return { cases, firstResponse, clientId: 'pulse-client', clientSecret: 'sf-secret-9z8y7x' };
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The SystemModstamp window of a SOQL's WHERE, as epoch ms. */
function window(soql: string): [number, number] {
  const match = /SystemModstamp >= (\S+) AND (?:Case\.)?SystemModstamp < (\S+)/.exec(soql);
  if (!match) throw new Error(`no window in ${soql}`);
  return [Date.parse(match[1]!), Date.parse(match[2]!)];
}

export function salesforceServer(account: SalesforceAccount, pageRecords = 40): ReplayServer & { jobCount(): number } {
  const server = new ReplayServer();
  const jobs = new Map<string, { soql: string; polls: number }>();
  const states = ['UploadComplete', 'InProgress', 'JobComplete'];
  let tokens = 0;
  server.route('POST', /^\/services\/oauth2\/token$/, (r) => {
    const form = new URLSearchParams(r.body);
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_id') !== account.clientId ||
      form.get('client_secret') !== account.clientSecret
    ) {
      return { status: 400, body: { error: 'invalid_client', error_description: 'invalid client credentials' } };
    }
    tokens += 1;
    return {
      body: {
        access_token: `00D!token-${tokens}`,
        instance_url: server.url,
        id: `${server.url}/id/00D/005`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        signature: 'sig',
      },
    };
  });
  const authorised = (header: string | undefined) => header === `Bearer 00D!token-${tokens}`;
  const expired = { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] };
  server.route('POST', /^\/services\/data\/v62\.0\/jobs\/query$/, (r) => {
    if (!authorised(r.headers.authorization)) return expired;
    const body = JSON.parse(r.body) as { operation: string; query: string; contentType: string };
    const id = `750${String(jobs.size).padStart(12, '0')}`;
    jobs.set(id, { soql: body.query, polls: 0 });
    return {
      body: {
        id,
        operation: body.operation,
        object: /FROM (\w+)/.exec(body.query)![1],
        createdById: '005000000000000',
        createdDate: new Date().toISOString(),
        state: 'UploadComplete',
        concurrencyMode: 'Parallel',
        contentType: 'CSV',
        apiVersion: 62.0,
        lineEnding: 'LF',
        columnDelimiter: 'COMMA',
      },
    };
  });
  server.route('GET', /^\/services\/data\/v62\.0\/jobs\/query\/\w+$/, (r) => {
    if (!authorised(r.headers.authorization)) return expired;
    const job = jobs.get(r.path.split('/').at(-1)!)!;
    job.polls += 1;
    return {
      body: {
        id: r.path.split('/').at(-1),
        operation: 'queryAll',
        state: states[Math.min(job.polls, states.length - 1)],
        numberRecordsProcessed: 0,
        retries: 0,
        totalProcessingTime: 0,
      },
    };
  });
  server.route('GET', /^\/services\/data\/v62\.0\/jobs\/query\/\w+\/results$/, (r) => {
    if (!authorised(r.headers.authorization)) return expired;
    const job = jobs.get(r.path.split('/').at(-2)!)!;
    const [from, to] = window(job.soql);
    const inWindow = (stamp: string) => {
      const at = Date.parse(stamp.replace('+0000', 'Z'));
      return at >= from && at < to;
    };
    let header: string[];
    let rows: unknown[][];
    if (job.soql.includes('FROM CaseMilestone')) {
      header = ['CaseId', 'CompletionDate'];
      rows = account.cases
        .filter((c) => inWindow(c.SystemModstamp) && account.firstResponse.has(c.Id))
        .map((c) => [c.Id, account.firstResponse.get(c.Id)]);
    } else {
      header = /SELECT (.+) FROM/.exec(job.soql)![1]!.split(', ');
      rows = account.cases
        .filter((c) => inWindow(c.SystemModstamp))
        .map((c) => header.map((h) => c[h as keyof SalesforceCase]));
    }
    const offset = Number(r.query.get('locator') ?? 0);
    const size = Math.min(pageRecords, Number(r.query.get('maxRecords') ?? pageRecords));
    const page = rows.slice(offset, offset + size);
    const next = offset + size < rows.length ? String(offset + size) : 'null';
    return {
      headers: { 'Content-Type': 'text/csv', 'Sforce-Locator': next, 'Sforce-NumberOfRecords': String(page.length) },
      body: `${[header, ...page].map((row) => row.map(csvCell).join(',')).join('\n')}\n`,
    };
  });
  return Object.assign(server, { jobCount: () => jobs.size });
}
