import { describe, expect, it } from 'vitest';
import { EnvSecrets } from '../../functions/adapters/local/envSecrets.ts';
import { MailTransportError, SecretError } from '../../functions/errors.ts';
import { backoffMs, defaultRetryTimings, sendWithRetry } from '../../functions/stages/sendWithRetry.ts';

const transient = (extra: { throttled?: boolean; retryAfterMs?: number } = {}) =>
  new MailTransportError('deferred', { recipient: 'a@example.com', retryable: true, ...extra });
const at = (random: number) => ({
  ...defaultRetryTimings,
  baseMs: 100,
  throttledBaseMs: 1_000,
  capMs: 5_000,
  random: () => random,
});

describe('backoff: capped exponential with full jitter', () => {
  it('draws uniformly below base·2^retry (random 0.999 → just under the ceiling, 0 → no wait)', () => {
    // the ceiling doubles per retry
    expect([0, 1, 2, 3].map((retry) => backoffMs(retry, transient(), at(0.999)))).toEqual([100, 200, 400, 799]);
    expect(backoffMs(3, transient(), at(0))).toBe(0);
  });

  it('never passes the cap', () => {
    expect(backoffMs(20, transient(), at(0.999))).toBe(4_995);
  });

  it('waits longer when throttled: from the throttled base, at least half the ceiling', () => {
    // 1 000 · 2^1 = 2 000 ceiling; half of it with random() = 0, all of it with random() ≈ 1
    expect(backoffMs(1, transient({ throttled: true }), at(0))).toBe(1_000);
    expect(backoffMs(1, transient({ throttled: true }), at(0.999))).toBe(1_999);
  });

  it('honours a wait the service asked for, up to the cap', () => {
    expect(backoffMs(0, transient({ retryAfterMs: 3_000 }), at(0))).toBe(3_000);
    expect(backoffMs(0, transient({ retryAfterMs: 60_000 }), at(0))).toBe(5_000);
  });
});

describe('sendWithRetry', () => {
  it('stops at once on an error that is not a typed, retryable transport error', async () => {
    // prepare
    let calls = 0;
    const broken = {
      send: async () => {
        calls += 1;
        throw new Error('a bug');
      },
    };
    // act
    const failure = await sendWithRetry(
      broken,
      { from: 'p@example.com', to: 'a@example.com', raw: Buffer.from('x'), period: '2026-10', audience: 'executive' },
      { timings: { sleep: async () => {} } },
    ).catch((e: unknown) => e);
    // assess
    expect(calls).toBe(1);
    expect((failure as Error).message).toBe('a@example.com: a bug (1 attempt)');
  });
});

describe('environment secrets', () => {
  it('resolves env: references', async () => {
    expect(await new EnvSecrets({ SMTP_PASSWORD: 'hunter2' }).resolve('env:SMTP_PASSWORD')).toBe('hunter2');
  });

  it('says a Secrets Manager ARN needs the AWS adapter', async () => {
    const failure = await new EnvSecrets({})
      .resolve('arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulse/smtp-AbCdEf')
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SecretError);
    expect((failure as SecretError).message).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulse\/smtp-AbCdEf: a Secrets Manager ARN is resolved by the AWS secrets adapter/,
    );
  });

  it('never repeats a value that is not a reference: it may be the secret itself', async () => {
    const failure = (await new EnvSecrets({}).resolve('hunter2').catch((e: unknown) => e)) as SecretError;
    expect(failure.message).toContain('not a reference');
    expect(failure.message).not.toContain('hunter2');
  });

  it('treats an empty variable as unset, without showing it', async () => {
    const failure = (await new EnvSecrets({ SMTP_PASSWORD: '' })
      .resolve('env:SMTP_PASSWORD')
      .catch((e: unknown) => e)) as SecretError;
    expect(failure.message).toBe(
      'env:SMTP_PASSWORD: the environment variable SMTP_PASSWORD is empty: set it to the secret before running pulse',
    );
  });
});
