import { vi } from 'vitest';
import { startAthenaLocal, type AthenaLocal } from '../standins/athena/server.ts';
import { serveS3ForTests } from './s3rver.ts';

/**
 * s3rver and the Athena and Glue stand-in started for a test file, with the SDK pointed at both
 * (serveS3ForTests's environment, AWS_ENDPOINT_URL_ATHENA and AWS_ENDPOINT_URL_GLUE); query
 * results go to s3://pulse-results/athena/, a bucket the stand-in makes on its first write there.
 * `stop` closes the stand-in, then s3rver, and unstubs the environment.
 */
export async function serveAthenaForTests(label: string): Promise<{ athena: AthenaLocal; stop: () => Promise<void> }> {
  const s3 = await serveS3ForTests(label);
  const athena = await startAthenaLocal({ s3Endpoint: s3.endpoint, results: 's3://pulse-results/athena/' });
  vi.stubEnv('AWS_ENDPOINT_URL_ATHENA', athena.url);
  vi.stubEnv('AWS_ENDPOINT_URL_GLUE', athena.url);
  return {
    athena,
    stop: async () => {
      await athena.close();
      await s3.stop();
    },
  };
}
