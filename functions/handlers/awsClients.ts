import type { AthenaClient } from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SESClient } from '@aws-sdk/client-ses';
import { createAthenaClient } from '../adapters/aws/athenaEngine.ts';
import { createS3Client } from '../adapters/aws/s3Store.ts';
import { createSecretsManagerClient } from '../adapters/aws/secretsManager.ts';
import { createSesClient } from '../adapters/aws/ses.ts';

/**
 * The AWS SDK clients of a Lambda module, each made on its first use and kept for the module's
 * life: a warm invocation reuses it, with its credentials and open connections, instead of
 * building another (STYLE.md, Powertools: clients once per module). A client the config may
 * place in a region of its own (SES) is kept per region. The adapters are made per invocation
 * around these; an engine given a client does not destroy it when it closes.
 */
const made = new Map<string, unknown>();

function once<T>(key: string, make: () => T): T {
  if (!made.has(key)) made.set(key, make());
  return made.get(key) as T;
}

export const awsClients = {
  /** The lake's client: it reads AWS_ENDPOINT_URL_S3 when made (createS3Client). */
  s3: (): S3Client => once('s3', () => createS3Client()),
  athena: (): AthenaClient => once('athena', () => createAthenaClient()),
  ses: (region?: string): SESClient => once(`ses:${region ?? ''}`, () => createSesClient(region)),
  secretsManager: (): SecretsManagerClient => once('secretsManager', () => createSecretsManagerClient()),
  /** How many clients this module has made (the tests' view of "once"). */
  count: (): number => made.size,
};
