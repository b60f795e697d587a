import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * s3rver, a real S3-protocol server, on 127.0.0.1 at a random port, with the bucket pulse-lake.
 * It runs in a child Node with --openssl-legacy-provider: s3rver encrypts ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 leaves to its legacy provider, so without the
 * flag every listing past its first 1,000 keys fails with a 500 (ERR_OSSL_EVP_UNSUPPORTED).
 * It checks signatures against its fixed key pair S3RVER / S3RVER (its README).
 */
const serverScript = `
const S3rver = require('s3rver');
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.env.S3RVER_DIRECTORY, configureBuckets: [{ name: 'pulse-lake' }] });
server.run().then(({ port }) => process.stdout.write(JSON.stringify({ port }) + '\\n'), (error) => { console.error(error); process.exit(1); });
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

export async function startS3rver(directory: string): Promise<{ port: number; process: ChildProcess }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', serverScript], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH, S3RVER_DIRECTORY: directory },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with ${code} before listening`))),
  ])) as [string];
  return { port: (JSON.parse(line) as { port: number }).port, process: child };
}

/** Stops the child and waits for it to go. */
export async function stopS3rver(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * s3rver started for a test file, with the SDK pointed at it (AWS_ENDPOINT_URL_S3 and its fixed
 * key pair); `stop` ends it, unstubs the environment and removes its folder.
 */
export async function serveS3ForTests(label: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { vi } = await import('vitest');
  const directory = await mkdtemp(path.join(tmpdir(), `pulse-s3rver-${label}-`));
  const { port, process } = await startS3rver(directory);
  const endpoint = `http://127.0.0.1:${port}`;
  vi.stubEnv('AWS_ENDPOINT_URL_S3', endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  return {
    endpoint,
    stop: async () => {
      await stopS3rver(process);
      vi.unstubAllEnvs();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
