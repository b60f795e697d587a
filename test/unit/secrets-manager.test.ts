import {
  DecryptionFailure,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerSecrets } from '../../functions/adapters/aws/secretsManager.ts';
import { SecretError } from '../../functions/errors.ts';
import type { SecretResolver } from '../../functions/ports/secrets.ts';

/** Secrets Manager at the SDK boundary, GetSecretValue responses as its API reference documents them. */
const sm = mockClient(SecretsManagerClient);

beforeEach(() => sm.reset());
afterAll(() => sm.restore());

const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulse/smtp-AbCdEf';

const secret = (SecretString: string) => ({
  ARN: arn,
  Name: 'pulse/smtp',
  VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  SecretString,
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-10-01T00:00:00Z'),
});

const secrets = (fallback?: SecretResolver) =>
  new SecretsManagerSecrets({
    client: new SecretsManagerClient({ region: 'eu-west-1' }),
    ...(fallback ? { fallback } : {}),
  });

async function failure(resolver: SecretsManagerSecrets, ref: string): Promise<SecretError> {
  const error = await resolver.resolve(ref).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SecretError);
  return error as SecretError;
}

describe('Secrets Manager', () => {
  it('returns a plain SecretString as it is', async () => {
    // prepare
    sm.on(GetSecretValueCommand, { SecretId: arn }).resolves(secret('s3cr3t-api-token'));
    // act
    const value = await secrets().resolve(arn);
    // assess
    expect(value).toBe('s3cr3t-api-token');
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: arn });
  });

  it('picks the #key of a JSON secret, asking Secrets Manager once for several keys', async () => {
    // prepare
    sm.on(GetSecretValueCommand, { SecretId: arn }).resolves(
      secret('{"username":"pulse","password":"hunter2-long","port":587}'),
    );
    const resolver = secrets();
    // act
    const password = await resolver.resolve(`${arn}#password`);
    const username = await resolver.resolve(`${arn}#username`);
    const port = await resolver.resolve(`${arn}#port`);
    // assess
    expect([password, username, port]).toEqual(['hunter2-long', 'pulse', '587']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('names the missing key and the keys there are, never a value', async () => {
    // prepare
    sm.on(GetSecretValueCommand).resolves(secret('{"username":"pulse","password":"hunter2-long"}'));
    // act
    const error = await failure(secrets(), `${arn}#pass`);
    // assess
    expect(error.message).toBe(`${arn}#pass: the secret has no key pass (its keys: password, username)`);
    expect(error.message).not.toContain('hunter2');
  });

  it('says so when a #key is asked of a secret that is not JSON, without quoting it', async () => {
    // prepare
    sm.on(GetSecretValueCommand).resolves(secret('hunter2-long'));
    // act
    const error = await failure(secrets(), `${arn}#password`);
    // assess
    expect(error.message).toBe(
      `${arn}#password: the reference asks for key password, but the secret is not JSON: drop #password to use the whole secret, or store it as key/value`,
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('a missing secret: not retryable, naming the reference and what to check', async () => {
    // prepare
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        $metadata: { httpStatusCode: 400 },
        message: "Secrets Manager can't find the specified secret.",
      }),
    );
    // act
    const error = await failure(secrets(), `${arn}#password`);
    // assess
    expect(error.retryable).toBe(false);
    expect(error.ref).toBe(`${arn}#password`);
    expect(error.message).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulse\/smtp-AbCdEf#password: no such secret: check the ARN .*\(ResourceNotFoundException: Secrets Manager can't find the specified secret\.\)$/,
    );
    expect(error.cause).toBeInstanceOf(ResourceNotFoundException);
  });

  it('access denied: not retryable, naming the permission to grant; a failure is not cached', async () => {
    // prepare
    const denied = new SecretsManagerServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: `User: arn:aws:sts::123456789012:assumed-role/pulse-deliver/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: ${arn}`,
    });
    sm.on(GetSecretValueCommand).rejectsOnce(denied).resolves(secret('after-the-grant'));
    const resolver = secrets();
    // act
    const error = await failure(resolver, arn);
    const later = await resolver.resolve(arn);
    // assess
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("the Lambda's role needs secretsmanager:GetSecretValue on it");
    expect(later).toBe('after-the-grant');
  });

  it('a KMS decryption failure is not retryable; a throttled or 5xx call is', async () => {
    // prepare
    sm.on(GetSecretValueCommand)
      .rejectsOnce(
        new DecryptionFailure({ $metadata: { httpStatusCode: 400 }, message: 'Access to KMS is not allowed' }),
      )
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'InternalServiceError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
          message: 'internal',
        }),
      );
    const resolver = secrets();
    // act
    const errors = [await failure(resolver, arn), await failure(resolver, arn), await failure(resolver, arn)];
    // assess
    expect(errors.map((e) => e.retryable)).toEqual([false, true, true]);
    expect(errors[0]!.message).toContain('could not decrypt the secret with its KMS key');
  });

  it('refuses a binary secret and an empty one', async () => {
    // prepare
    sm.on(GetSecretValueCommand, { SecretId: arn }).resolves({
      ARN: arn,
      Name: 'pulse/smtp',
      SecretBinary: new Uint8Array([1, 2, 3]),
    });
    sm.on(GetSecretValueCommand, { SecretId: `${arn}-empty` }).resolves(secret(''));
    // act
    const binary = await failure(secrets(), arn);
    const empty = await failure(secrets(), `${arn}-empty`);
    // assess
    expect(binary.message).toContain('binary data (SecretBinary)');
    expect(empty.message).toBe(`${arn}-empty: the secret is empty: put the value in it`);
  });

  it('delegates env: references to the fallback and never calls Secrets Manager for them', async () => {
    // prepare
    const asked: string[] = [];
    const fallback: SecretResolver = { resolve: async (ref) => (asked.push(ref), 'from-the-environment') };
    // act
    const value = await secrets(fallback).resolve('env:ZENDESK_TOKEN');
    // assess
    expect(value).toBe('from-the-environment');
    expect(asked).toEqual(['env:ZENDESK_TOKEN']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it('without a fallback, an env: reference fails clearly; a string that is no reference is never echoed', async () => {
    // act
    const env = await failure(secrets(), 'env:ZENDESK_TOKEN');
    const pasted = await failure(secrets(), 'hunter2-long');
    // assess
    expect(env.message).toMatch(/^env:ZENDESK_TOKEN: env: references need a fallback resolver/);
    expect(pasted.message).toBe(
      'secret reference: not a reference: use a Secrets Manager ARN (or env:NAME), never the secret itself',
    );
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });
});
