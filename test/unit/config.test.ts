import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config/load.ts';
import { ConfigError } from '../../functions/errors.ts';

const minimal = {
  lake: './lake',
  sources: [{ name: 'helpdesk', type: 'csv', entity: 'tickets', path: 'exports/*.csv' }],
};

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, '/x/pulse.config.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config', () => {
  it('needs only lake and sources; every other key has its documented default', () => {
    const { config, baseDir } = parseConfig(minimal, '/x/pulse.config.json');
    expect(baseDir).toBe('/x');
    expect(config).toMatchObject({
      timezone: 'UTC',
      currency: 'USD',
      definitions: {
        complaintCategories: ['complaint'],
        serviceLevelSeconds: 20,
        conversionWindowDays: 7,
        promisedDeliveryDays: 5,
        minSample: 30,
        sla: { urgent: { firstReplyHours: 1, resolutionHours: 8 }, low: { firstReplyHours: 24, resolutionHours: 72 } },
      },
      mail: { transport: 'outbox', from: 'pulse@localhost' },
    });
  });

  it('takes definitions.minSample as a whole number of at least 1', () => {
    expect(
      parseConfig({ ...minimal, definitions: { minSample: 50 } }, '/x/pulse.config.json').config.definitions.minSample,
    ).toBe(50);
    expect(problems({ ...minimal, definitions: { minSample: 0 } })).toEqual([
      expect.stringMatching(/^pulse\.config\.json: definitions\.minSample: /),
    ]);
  });

  it('lists every problem, each naming the file and the key', () => {
    const found = problems({
      timezone: 'Mars/Olympus',
      sources: [{ name: 'a', type: 'csv', entity: 'tikets', path: 'x' }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pulse\.config\.json: timezone: unknown IANA time zone/),
        expect.stringMatching(/^pulse\.config\.json: lake: /),
        expect.stringMatching(/^pulse\.config\.json: sources\[0\]\.entity: /),
      ]),
    );
  });

  it('lists typos with everything else in one pass: unknown keys, unmapped fields, unknown KPI ids', () => {
    const found = problems({
      lake: './lake',
      currency: 'usd',
      timezon: 'Europe/Berlin',
      targets: { frt: {} },
      definitions: { serviceLevelSecs: 30 },
      sources: [
        {
          name: 'desk',
          type: 'csv',
          entity: 'tickets',
          path: 't.csv',
          columns: { creatd_at: 'Created' },
          values: { stauts: { a: 'open' } },
        },
        { type: 'csv', entity: 'tickets', path: 'x.csv' },
      ],
    });
    expect(found.sort()).toEqual(
      [
        'pulse.config.json: (root): unknown key "timezon": did you mean "timezone"?',
        'pulse.config.json: currency: ISO 4217 code, e.g. USD',
        'pulse.config.json: definitions: unknown key "serviceLevelSecs": did you mean "serviceLevelSeconds"?',
        'pulse.config.json: sources[0].columns.creatd_at: tickets has no field "creatd_at": did you mean "created_at"?',
        'pulse.config.json: sources[0].values.stauts: tickets has no field "stauts": did you mean "status"?',
        'pulse.config.json: sources[1].name: required',
        'pulse.config.json: targets.frt: unknown KPI id "frt"',
      ].sort(),
    );
  });

  it('says "did you mean" for an unknown key near a known one, in any object, and nothing for one far from all', () => {
    const source = { ...minimal.sources[0]!, dateformat: 'dd.MM.yyyy', Decimel: ',' };
    expect(problems({ ...minimal, sources: [source], mail: { transport: 'outbox', form: 'a@b.c' } }).sort()).toEqual(
      [
        'pulse.config.json: mail: unknown key "form": did you mean "from"?',
        'pulse.config.json: sources[0]: unknown keys "dateformat": did you mean "dateFormat"?, "Decimel": did you mean "decimal"?',
      ].sort(),
    );
    expect(problems({ ...minimal, frobnicate: true })).toEqual(['pulse.config.json: (root): unknown key "frobnicate"']);
  });

  it('takes a two-digit year in a dateFormat (yy: read as 20yy on both engines)', () => {
    const source = (dateFormat: string) => ({ ...minimal, sources: [{ ...minimal.sources[0]!, dateFormat }] });
    expect(problems(source('dd.MM.yy HH:mm'))).toEqual([]);
    expect(problems(source('yy-MM-dd'))).toEqual([]);
    expect(problems(source('dd.MM.yyyy HH:mm'))).toEqual([]);
  });

  it('takes one SLA priority and keeps the defaults of the others', () => {
    const { config } = parseConfig(
      { ...minimal, definitions: { sla: { urgent: { firstReplyHours: 2, resolutionHours: 4 } } } },
      '/x/pulse.config.json',
    );
    expect(config.definitions.sla).toEqual({
      urgent: { firstReplyHours: 2, resolutionHours: 4 },
      high: { firstReplyHours: 4, resolutionHours: 24 },
      normal: { firstReplyHours: 8, resolutionHours: 48 },
      low: { firstReplyHours: 24, resolutionHours: 72 },
    });
  });

  it('refuses literal secrets and unknown KPI ids', () => {
    expect(
      problems({ ...minimal, mail: { transport: 'smtp', from: 'a@b.c', host: 'h', password: 'hunter2' } })[0],
    ).toMatch(/mail\.password: must be a reference/);
    expect(problems({ ...minimal, targets: { first_reply_tme: { target: 1 } } })[0]).toBe(
      'pulse.config.json: targets.first_reply_tme: unknown KPI id "first_reply_tme": did you mean "first_reply_time"?',
    );
    expect(
      problems({ ...minimal, audiences: [{ name: 'exec', recipients: ['a@b.co'], kpis: ['csat', 'nsp'] }] }),
    ).toEqual(['pulse.config.json: audiences[0].kpis[1]: unknown KPI id "nsp": did you mean "nps"?']);
  });

  it('reads audiences: the report kind defaults to the name, a slice names a known dimension, names are unique', () => {
    const audiences = [
      { name: 'finance', recipients: ['cfo@example.com'] },
      { name: 'frontline', report: 'executive', recipients: ['lead@example.com'], slice: { team: 'frontline' } },
    ];
    const { config } = parseConfig({ ...minimal, audiences, owners: ['ops@example.com'] }, '/x/pulse.config.json');
    expect(config.audiences.map((a) => [a.name, a.report, a.slice])).toEqual([
      ['finance', 'finance', undefined],
      ['frontline', 'executive', { team: 'frontline' }],
    ]);
    expect(config.owners).toEqual(['ops@example.com']);
    expect(config.definitions).toMatchObject({ staleAfterDays: 3, withholdStale: false });
    expect(problems({ ...minimal, audiences: [{ name: 'board', recipients: ['a@b.co'] }] })).toEqual([
      'pulse.config.json: audiences[0].report: required: "board" is not a report kind (executive, finance, analyst)',
    ]);
    expect(
      problems({
        ...minimal,
        audiences: [{ name: 'x', report: 'executive', recipients: ['a@b.co'], slice: { region: 'emea' } }],
      }),
    ).toEqual(['pulse.config.json: audiences[0].slice: unknown key "region"']);
    expect(problems({ ...minimal, audiences: [audiences[0], audiences[0]] })).toEqual([
      'pulse.config.json: audiences[1].name: duplicate audience name "finance"',
    ]);
  });
});
