import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvSecrets } from '../../functions/adapters/local/envSecrets.ts';
import { FolderStore } from '../../functions/adapters/local/folderStore.ts';
import { SmtpTransport } from '../../functions/adapters/local/smtp.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { DeliveryError, MailTransportError, StageError } from '../../functions/errors.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import type { MailTransport, OutgoingMail, SentMail } from '../../functions/ports/mail.ts';
import type { QueryEngine } from '../../functions/ports/queryEngine.ts';
import { silentProgress, type StageContext } from '../../functions/stages/context.ts';
import { deliver, ledgerKey, type DeliverySummary } from '../../functions/stages/deliver.ts';
import { runStages } from '../../functions/stages/index.ts';
import { ReportWithheldError } from '../../functions/errors.ts';
import { lakeKeys } from '../../functions/model/lakeKeys.ts';
import type { RetryTimings } from '../../functions/stages/sendWithRetry.ts';

/** The deliver stage on a real folder lake, with a transport that records what it was asked to send. */
const recipients = ['ceo@example.com', 'coo@example.com', 'cfo@example.com'];
const owners = ['owner@example.com'];
const period = '2026-10';

/** Records each send; `fail` decides, per call, whether this attempt fails and how. */
class RecordingTransport implements MailTransport {
  readonly sent: OutgoingMail[] = [];
  readonly attempts: string[] = [];
  constructor(private readonly fail: (mail: OutgoingMail, call: number) => Error | undefined = () => undefined) {}

  async send(mail: OutgoingMail): Promise<SentMail> {
    this.attempts.push(mail.to);
    const error = this.fail(mail, this.attempts.length);
    if (error) throw error;
    this.sent.push(mail);
    return { messageId: `<${this.sent.length}@test>` };
  }

  reports = () => this.sent.filter((m) => m.audience !== '_owners').map((m) => m.to);
  alerts = () => this.sent.filter((m) => m.audience === '_owners');
}

const refused = (mail: OutgoingMail) =>
  new MailTransportError('the SMTP server refused the recipient: 550 mailbox unavailable', {
    recipient: mail.to,
    retryable: false,
  });
const deferred = (mail: OutgoingMail) =>
  new MailTransportError('the SMTP server deferred the message: 451 try again', {
    recipient: mail.to,
    retryable: true,
  });

const unused = () => {
  throw new Error('deliver does not query');
};
const engine: QueryEngine = {
  dialect: 'duckdb',
  readsExportsInPlace: true,
  registerTables: unused,
  registerLanded: unused,
  releaseLanded: unused,
  createTable: unused,
  createView: unused,
  query: unused,
  writeParquet: unused,
  close: async () => {},
};

let lake: string;
let store: FolderStore;
let logged: string[];
const fast: Partial<RetryTimings> = { retries: 2, sleep: async () => {} };

function context(mail: MailTransport, options: { resend?: boolean; runId?: string } = {}): StageContext {
  const { config } = parseConfig(
    {
      lake,
      sources: [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: 'x.csv' }],
      audiences: [{ name: 'executive', recipients }],
      owners,
      mail: { transport: 'outbox', from: 'pulse@example.com' },
    },
    path.join(lake, 'pulse.config.json'),
  );
  return {
    config,
    period: parsePeriod(period),
    store,
    engine,
    mail,
    sources: [],
    runId: options.runId ?? 'run-1',
    now: new Date('2026-11-01T06:00:00Z'),
    resend: options.resend ?? false,
    progress: silentProgress,
    log: (m) => logged.push(m),
  };
}

const ledgerEntries = async () => (await store.list(`ledger/${period}/executive/`)).length;
const inLedger = async (recipient: string) =>
  (await store.get(ledgerKey(period, 'executive', recipient))) !== undefined;
const statuses = (summaries: DeliverySummary[]) => summaries.map((s) => `${s.recipient}:${s.status}`);

beforeEach(async () => {
  lake = mkdtempSync(path.join(tmpdir(), 'pulse-deliver-'));
  store = new FolderStore(lake);
  logged = [];
  const raw = await new MailComposer({
    from: 'pulse@example.com',
    to: recipients,
    subject: 'Customer service scorecard — October 2026',
    text: 'Tickets created: 1 204',
  })
    .compile()
    .build();
  await store.put(lakeKeys.message(period, 'executive'), raw);
});

afterEach(() => rmSync(lake, { recursive: true, force: true }));

describe('deliver', () => {
  it('sends each recipient one copy however often the period is run', async () => {
    // prepare
    const mail = new RecordingTransport();
    // act
    const runs = [];
    for (let run = 0; run < 3; run += 1) runs.push(await deliver(context(mail), { retry: fast }));
    // assess
    expect(mail.reports().sort()).toEqual([...recipients].sort());
    expect(statuses(runs[0]!)).toEqual(recipients.map((r) => `${r}:sent`));
    expect(statuses(runs[2]!)).toEqual(recipients.map((r) => `${r}:already_sent`));
    expect(await ledgerEntries()).toBe(3);
    expect(logged.at(-1)).toBe('deliver: 0 sent, 3 already sent before');
  });

  it('after a crash that left one recipient sent, a re-run sends the other two once and the first not again', async () => {
    // prepare: the transport works once, then fails for good
    const crashing = new RecordingTransport((m, call) => (call > 1 ? refused(m) : undefined));
    const failed = await deliver(context(crashing), { retry: fast }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DeliveryError);
    expect(await ledgerEntries()).toBe(1);
    const working = new RecordingTransport();
    // act
    const rerun = await deliver(context(working), { retry: fast });
    // assess
    expect(crashing.reports()).toEqual(['ceo@example.com']);
    expect(working.reports()).toEqual(['coo@example.com', 'cfo@example.com']);
    expect(statuses(rerun)).toEqual(['ceo@example.com:already_sent', 'coo@example.com:sent', 'cfo@example.com:sent']);
    expect(await ledgerEntries()).toBe(3);
  });

  it('a crash between a send and its ledger entry resends that one recipient once (the at-least-once window)', async () => {
    // prepare: the write that records the second recipient as sent dies, as a process killed there
    // would; its claim, written before the send, stays pending
    const mail = new RecordingTransport();
    const put = store.put.bind(store);
    let writes = 0;
    store.put = async (key, body) => {
      writes += 1;
      if (writes === 2) throw new Error('killed');
      return put(key, body);
    };
    await expect(deliver(context(mail), { retry: fast })).rejects.toThrow('killed');
    store.put = put;
    expect(JSON.parse((await store.get(ledgerKey(period, 'executive', 'coo@example.com')))!.toString())).toMatchObject({
      state: 'pending',
      runId: 'run-1',
    });
    // act: the same run again (as Step Functions retries a stage)
    await deliver(context(mail), { retry: fast });
    // assess: coo@ got the one extra copy the window allows, and the log says why
    expect(mail.reports()).toEqual(['ceo@example.com', 'coo@example.com', 'coo@example.com', 'cfo@example.com']);
    expect(await ledgerEntries()).toBe(3);
    expect(logged.some((l) => l.startsWith('deliver executive: resuming coo@example.com: run run-1'))).toBe(true);
    expect(logged.at(-1)).toBe("deliver: 2 sent, 1 already sent before, 1 resumed from a stopped run's claim");
  });

  it('--resend sends everyone again, on purpose, and says so', async () => {
    // prepare
    const mail = new RecordingTransport();
    await deliver(context(mail), { retry: fast });
    const before = (await store.get(ledgerKey(period, 'executive', 'ceo@example.com')))!.toString();
    // act
    const resent = await deliver(context(mail, { resend: true }), { retry: fast });
    // assess
    expect(mail.reports()).toEqual([...recipients, ...recipients]);
    expect(resent.map((s) => [s.status, s.resent])).toEqual(recipients.map(() => ['sent', true]));
    expect(logged.at(-1)).toBe('deliver: 0 sent, 0 already sent before, resent 3 (asked with --resend)');
    expect(JSON.parse(before).messageId).toBe('<1@test>');
    expect(JSON.parse((await store.get(ledgerKey(period, 'executive', 'ceo@example.com')))!.toString()).messageId).toBe(
      '<4@test>',
    );
  });

  it('a recipient that still fails after retries fails the stage naming it, alerts the owners, and stays out of the ledger', async () => {
    // prepare: coo@ is deferred on every attempt; the others go through
    const mail = new RecordingTransport((m) => (m.to === 'coo@example.com' ? deferred(m) : undefined));
    // act
    const failure = await deliver(context(mail), { retry: fast }).catch((e: unknown) => e);
    // assess
    expect(failure).toBeInstanceOf(DeliveryError);
    const error = failure as DeliveryError;
    expect(error.ownersAlerted).toBe(true);
    expect(error.failures.map((f) => f.recipient)).toEqual(['coo@example.com']);
    expect(error.message).toContain(
      'executive → coo@example.com: the SMTP server deferred the message: 451 try again (3 attempts)',
    );
    expect(mail.attempts.filter((to) => to === 'coo@example.com')).toHaveLength(3);
    expect(mail.reports()).toEqual(['ceo@example.com', 'cfo@example.com']);
    expect(await inLedger('coo@example.com')).toBe(false);
    expect(await inLedger('ceo@example.com')).toBe(true);
    expect(await inLedger('cfo@example.com')).toBe(true);
    const [alert] = mail.alerts();
    expect(mail.alerts().map((a) => a.to)).toEqual(owners);
    const parsed = await simpleParser(alert!.raw);
    expect(parsed.subject).toBe('[Pulse] 2026-10: 1 report e-mail(s) could not be sent');
    expect(parsed.from?.text).toBe('pulse@example.com');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : undefined).toBe('owner@example.com');
    expect(parsed.text).toContain(
      'executive → coo@example.com: the SMTP server deferred the message: 451 try again (3 attempts)',
    );
    expect(parsed.text).toContain('2 sent in this run');
  });

  it('through runStages a delivery failure alerts the owners once, and the stage error says they were', async () => {
    // prepare
    const mail = new RecordingTransport((m) => (m.to === 'cfo@example.com' ? refused(m) : undefined));
    // act
    const failure = await runStages(context(mail), ['deliver']).catch((e: unknown) => e);
    // assess
    expect(failure).toBeInstanceOf(StageError);
    expect((failure as StageError).message).toMatch(
      /^stage deliver failed: could not send to 1 recipient: executive → cfo@example\.com: the SMTP server refused the recipient: 550 mailbox unavailable \(not retried: a retry cannot help\)/,
    );
    expect((failure as StageError).ownersAlerted).toBe(true);
    expect(mail.alerts()).toHaveLength(1);
  });

  it('any other stage failure alerts the owners with the stage and the cause', async () => {
    // prepare: nothing rendered
    await store.deletePrefix(`reports/${period}/`);
    const mail = new RecordingTransport();
    // act
    const failure = await runStages(context(mail), ['deliver']).catch((e: unknown) => e);
    // assess
    expect((failure as StageError).ownersAlerted).toBe(true);
    const alerts = mail.alerts();
    expect(alerts).toHaveLength(1);
    const parsed = await simpleParser(alerts[0]!.raw);
    expect(parsed.subject).toBe('[Pulse] 2026-10: the deliver stage failed');
    expect(parsed.text).toContain(
      'Cause: reports/2026-10/executive/message.eml does not exist: run the render stage first',
    );
  });

  it('an alert that cannot be sent is logged and never hides the failure it was about', async () => {
    // prepare: everything fails, alerts included
    const mail = new RecordingTransport((m) => refused(m));
    // act
    const failure = await deliver(context(mail), { retry: fast }).catch((e: unknown) => e);
    // assess
    expect(failure).toBeInstanceOf(DeliveryError);
    expect((failure as DeliveryError).failures).toHaveLength(3);
    expect(
      logged.some((line) => line.startsWith('alert to owner owner@example.com: the SMTP server refused the recipient')),
    ).toBe(true);
  });

  it('sends nothing for an audience whose report is withheld', async () => {
    // prepare
    await store.put(
      lakeKeys.withheld(period, 'executive'),
      JSON.stringify({
        period,
        audience: 'executive',
        reasons: ['helpdesk is stale: freshest ticket 2026-10-20'],
        runId: 'run-0',
      }),
    );
    const mail = new RecordingTransport();
    // act
    const failure = await deliver(context(mail), { retry: fast }).catch((e: unknown) => e);
    // assess: nothing sent, and the run fails with the reason (render told the owners already)
    expect(mail.sent).toEqual([]);
    expect(failure).toBeInstanceOf(ReportWithheldError);
    expect((failure as ReportWithheldError).message).toBe(
      'helpdesk is stale: freshest ticket 2026-10-20 (0 sent to the other audiences)',
    );
    expect((failure as ReportWithheldError).ownersAlerted).toBe(true);
    expect(await ledgerEntries()).toBe(0);
    expect(logged).toContain(
      'deliver executive: the report is withheld (reports/2026-10/executive/withheld.json: helpdesk is stale: freshest ticket 2026-10-20): nothing sent',
    );
  });

  it('resumes a claim left pending by a run whose process is gone, and says so', async () => {
    // prepare: run-0 claimed coo@ and was killed before recording its send
    const pid = spawnSync(process.execPath, ['-e', '']).pid!;
    const claim = { state: 'pending', period, audience: 'executive', runId: 'run-0', pid, host: hostname() };
    await store.put(
      ledgerKey(period, 'executive', 'coo@example.com'),
      JSON.stringify({ ...claim, claimedAt: '2026-11-01T05:00:00.000Z', expires: '2099-01-01T00:00:00.000Z' }),
    );
    const mail = new RecordingTransport();
    // act
    const summaries = await deliver(context(mail), { retry: fast });
    // assess
    expect(mail.reports()).toEqual(recipients);
    expect(summaries.find((s) => s.recipient === 'coo@example.com')).toMatchObject({ status: 'sent', resumed: true });
    expect(logged).toContain(
      `deliver executive: resuming coo@example.com: run run-0 (pid ${pid} on ${hostname()}) claimed it at ` +
        "2026-11-01T05:00:00.000Z and stopped before recording a send; sending now (if that run's send went " +
        'through, this is a second copy: at least once, docs/design.md)',
    );
    expect(JSON.parse((await store.get(ledgerKey(period, 'executive', 'coo@example.com')))!.toString())).toMatchObject({
      state: 'sent',
      runId: 'run-1',
      messageId: '<2@test>',
    });
  });

  it('leaves a recipient another live run has claimed to that run', async () => {
    // prepare: run-other, in a process that runs (this one), is sending to cfo@ now
    const claim = { state: 'pending', period, audience: 'executive', runId: 'run-other', pid: process.pid };
    await store.put(
      ledgerKey(period, 'executive', 'cfo@example.com'),
      JSON.stringify({
        ...claim,
        host: hostname(),
        claimedAt: '2026-11-01T06:00:00.000Z',
        expires: '2099-01-01T00:00:00.000Z',
      }),
    );
    const mail = new RecordingTransport();
    // act
    const summaries = await deliver(context(mail), { retry: fast });
    // assess
    expect(mail.reports()).toEqual(['ceo@example.com', 'coo@example.com']);
    expect(statuses(summaries)).toEqual(['ceo@example.com:sent', 'coo@example.com:sent', 'cfo@example.com:being_sent']);
    expect(logged.at(-1)).toBe('deliver: 2 sent, 0 already sent before, 1 being sent by another run');
  });
});

describe('two deliver runs at once', () => {
  it('give each recipient one copy through a real SMTP server', async () => {
    // prepare: smtp-server on loopback counting what each recipient is sent
    const copies = new Map<string, number>();
    const server = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          for (const to of session.envelope.rcptTo) copies.set(to.address, (copies.get(to.address) ?? 0) + 1);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as net.AddressInfo).port;
    const smtp = () => new SmtpTransport({ host: '127.0.0.1', port, secure: false }, new EnvSecrets());
    try {
      // act: two runs, each with its own view of the lake and its own connection
      const runs = await Promise.all(
        ['run-a', 'run-b'].map((runId) =>
          deliver({ ...context(smtp(), { runId }), store: new FolderStore(lake) }, { retry: fast }),
        ),
      );
      // assess: one copy each, sent by exactly one of the runs, and all three recorded as sent
      expect(Object.fromEntries(copies)).toEqual(Object.fromEntries(recipients.map((r) => [r, 1])));
      const sentBy = recipients.map((r) =>
        runs.filter((run) => run.some((s) => s.recipient === r && s.status === 'sent')),
      );
      expect(sentBy.map((by) => by.length)).toEqual([1, 1, 1]);
      for (const recipient of recipients)
        expect(JSON.parse((await store.get(ledgerKey(period, 'executive', recipient)))!.toString())).toMatchObject({
          state: 'sent',
        });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
