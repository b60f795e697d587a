import type net from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 at a random port, plain (no STARTTLS, no login),
 * counting the copies each recipient is sent. `onMessage` runs as each message ends, and the
 * server answers it once the promise it returns settles: a test may hold a sender there.
 */
export async function countingSmtp(onMessage: () => Promise<void> = async () => {}) {
  const copies = new Map<string, number>();
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        for (const to of session.envelope.rcptTo) copies.set(to.address, (copies.get(to.address) ?? 0) + 1);
        void onMessage().then(() => callback());
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as net.AddressInfo).port,
    copies: () => Object.fromEntries(copies),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
