import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DeliveryError,
  MailSendError,
  MailTransportError,
  SourceError,
  StageError,
} from '../../functions/errors.ts';

/** Errors say whether a retry can help, so a scheduler retries a throttled send and never a bad config. */
describe('errors', () => {
  const throttled = new MailTransportError('Maximum sending rate exceeded.', {
    recipient: 'a@b.co',
    retryable: true,
    throttled: true,
  });
  const rejected = new MailTransportError('Email address is not verified.', { recipient: 'c@d.co', retryable: false });

  it('keep their cause and name, and are not retryable unless they say so', () => {
    const config = new ConfigError(['pulse.config.json: lake: required']);
    expect(config.retryable).toBe(false);
    expect(new StageError('extract', { cause: new SourceError('no file matches x.csv') }).retryable).toBe(false);
    const stage = new StageError('deliver', { cause: throttled });
    expect(stage.name).toBe('StageError');
    expect(stage.cause).toBe(throttled);
  });

  it('carry retryable from a passing fault up to the stage', () => {
    const used = new MailSendError('a@b.co', 5, { cause: throttled });
    expect(used.retryable).toBe(true);
    expect(
      new StageError('deliver', {
        cause: new DeliveryError([{ audience: 'executive', recipient: 'a@b.co', error: used }]),
      }).retryable,
    ).toBe(true);
  });

  it('are not retryable when any failure is permanent', () => {
    const failures = [
      { audience: 'executive', recipient: 'a@b.co', error: new MailSendError('a@b.co', 5, { cause: throttled }) },
      { audience: 'executive', recipient: 'c@d.co', error: new MailSendError('c@d.co', 1, { cause: rejected }) },
    ];
    expect(new DeliveryError(failures).retryable).toBe(false);
    expect(failures[1]!.error.message).toBe(
      'c@d.co: Email address is not verified. (not retried: a retry cannot help)',
    );
  });
});
