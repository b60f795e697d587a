import { SecretError } from '../../errors.ts';
import { processRedactor } from '../../redaction.ts';
import type { SecretResolver } from '../../ports/secrets.ts';

/** Secrets from the environment, for `env:NAME` references; a Secrets Manager ARN needs the AWS adapter. */
export class EnvSecrets implements SecretResolver {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async resolve(ref: string): Promise<string> {
    if (ref.startsWith('arn:aws:secretsmanager:')) {
      throw new SecretError(
        ref,
        'a Secrets Manager ARN is resolved by the AWS secrets adapter, which runs in AWS (the Lambdas); on this machine use an env:NAME reference',
      );
    }
    const name = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref)?.[1];
    // Not echoed: a string that is not a reference may be the secret itself, pasted by mistake.
    if (!name)
      throw new SecretError(
        'secret reference',
        'not a reference: use env:NAME (or a Secrets Manager ARN in AWS), never the secret itself',
      );
    const value = this.env[name];
    if (value === undefined)
      throw new SecretError(ref, `the environment variable ${name} is not set: set it before running pulse`);
    if (value === '')
      throw new SecretError(
        ref,
        `the environment variable ${name} is empty: set it to the secret before running pulse`,
      );
    // A value resolved is never printed, in any form (functions/redaction.ts).
    processRedactor.add(value);
    return value;
  }
}
