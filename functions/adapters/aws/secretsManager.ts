import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from '../../errors.ts';
import { processRedactor } from '../../redaction.ts';
import type { SecretResolver } from '../../ports/secrets.ts';
import { sdkFacts } from './sdkErrors.ts';

export interface SecretsManagerOptions {
  region?: string;
  /** For tests and for sharing one client. */
  client?: SecretsManagerClient;
  /**
   * Resolves `env:NAME` references (EnvSecrets, wired by the handler): injected, because an AWS
   * adapter never imports a local one (.dependency-cruiser.cjs, lambdas-use-aws-adapters).
   */
  fallback?: SecretResolver;
}

/** What to check for the errors GetSecretValue documents (Secrets Manager API reference, GetSecretValue, Errors); a retry helps none of them. */
const permanent: Record<string, string> = {
  ResourceNotFoundException:
    "no such secret: check the ARN (the full ARN ends in the secret's name and six random characters) and that it is in the region the ARN names",
  AccessDeniedException:
    "not allowed to read this secret: the Lambda's role needs secretsmanager:GetSecretValue on it (and kms:Decrypt on its key, when the secret uses a customer managed key)",
  DecryptionFailure:
    "Secrets Manager could not decrypt the secret with its KMS key: check the key's policy and that the key is enabled",
  InvalidRequestException:
    'the secret cannot be read now (scheduled for deletion, or its current version is missing): restore it or point the config at another secret',
  InvalidParameterException: 'Secrets Manager refused the request: check the ARN',
};

/**
 * Secrets from AWS Secrets Manager. A reference is a secret's ARN, optionally with `#key`:
 * `arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulse/smtp-AbCdEf#password` reads the
 * secret's SecretString as a JSON object and returns its `password` member (the console's
 * "key/value" secrets are stored that way); without `#key` the whole SecretString is the value.
 * ARNs cannot contain `#`, so the suffix is unambiguous. `env:NAME` references go to the fallback.
 */
/** A Secrets Manager client, in the region given or the runtime's. */
export function createSecretsManagerClient(region?: string): SecretsManagerClient {
  return new SecretsManagerClient(region ? { region } : {});
}

export class SecretsManagerSecrets implements SecretResolver {
  private readonly client: SecretsManagerClient;
  /** One GetSecretValue per secret per process: several keys of one secret, and warm Lambdas, reuse it. */
  private readonly fetched = new Map<string, Promise<string>>();

  constructor(private readonly options: SecretsManagerOptions = {}) {
    this.client = options.client ?? createSecretsManagerClient(options.region);
  }

  async resolve(ref: string): Promise<string> {
    if (ref.startsWith('env:')) {
      if (!this.options.fallback)
        throw new SecretError(
          ref,
          'env: references need a fallback resolver, and none was given to the Secrets Manager adapter: use a Secrets Manager ARN in AWS',
        );
      return this.options.fallback.resolve(ref);
    }
    // Not echoed: a string that is not a reference may be the secret itself, pasted by mistake.
    if (!ref.startsWith('arn:aws:secretsmanager:'))
      throw new SecretError(
        'secret reference',
        'not a reference: use a Secrets Manager ARN (or env:NAME), never the secret itself',
      );
    const hash = ref.indexOf('#');
    const arn = hash === -1 ? ref : ref.slice(0, hash);
    const key = hash === -1 ? undefined : ref.slice(hash + 1);
    if (key === '')
      throw new SecretError(ref, 'the reference ends in # with no key: add the JSON key (…#password) or drop the #');
    const text = await this.secretString(ref, arn);
    if (key === undefined) {
      if (text === '') throw new SecretError(ref, 'the secret is empty: put the value in it');
      processRedactor.add(text);
      return text;
    }
    // A value resolved is never printed, in any form (functions/redaction.ts).
    const value = pick(ref, text, key);
    processRedactor.add(value);
    return value;
  }

  private secretString(ref: string, arn: string): Promise<string> {
    let pending = this.fetched.get(arn);
    if (!pending) {
      pending = this.fetch(ref, arn);
      this.fetched.set(arn, pending);
      // A failure is not kept: the next resolve asks again.
      pending.catch(() => this.fetched.delete(arn));
    }
    return pending;
  }

  private async fetch(ref: string, arn: string): Promise<string> {
    let secret;
    try {
      secret = await this.client.send(new GetSecretValueCommand({ SecretId: arn }));
    } catch (error) {
      throw typed(ref, error);
    }
    if (secret.SecretString === undefined) {
      throw new SecretError(ref, 'the secret holds binary data (SecretBinary), not text: store it as a secret string');
    }
    return secret.SecretString;
  }
}

function pick(ref: string, text: string, key: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parse error is left out: its message quotes the secret.
    throw new SecretError(
      ref,
      `the reference asks for key ${key}, but the secret is not JSON: drop #${key} to use the whole secret, or store it as key/value`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretError(ref, `the reference asks for key ${key}, but the secret is not a JSON object`);
  }
  const value = (parsed as Record<string, unknown>)[key];
  if (value === undefined || value === null) {
    const keys = Object.keys(parsed).sort().join(', ');
    throw new SecretError(ref, `the secret has no key ${key} (its keys: ${keys || 'none'})`);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new SecretError(ref, `key ${key} of the secret is not a string`);
  if (value === '') throw new SecretError(ref, `key ${key} of the secret is empty: put the value in it`);
  return value;
}

function typed(ref: string, error: unknown): SecretError {
  // The SDK's messages name the secret, never its value, so they can be shown.
  const { name, said, throttled, serverFault, noCredentials } = sdkFacts(error);
  const hint = permanent[name];
  if (hint) return new SecretError(ref, `${hint} (${said})`, { cause: error, retryable: false });
  if (throttled)
    return new SecretError(ref, `Secrets Manager is throttling (${said})`, { cause: error, retryable: true });
  if (serverFault || name === 'InternalServiceError')
    return new SecretError(ref, `Secrets Manager failed on its side (${said})`, { cause: error, retryable: true });
  if (noCredentials)
    return new SecretError(ref, `no AWS credentials for Secrets Manager (${said}): run in AWS or set a profile`, {
      cause: error,
      retryable: false,
    });
  return new SecretError(ref, `could not read the secret (${said})`, { cause: error, retryable: false });
}
