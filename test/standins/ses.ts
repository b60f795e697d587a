import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Amazon SES (API v1, the Query protocol @aws-sdk/client-ses speaks) on loopback that
 * answers SendRawEmail as SES does and keeps every message it accepts. Point the SDK at it with
 * AWS_ENDPOINT_URL_SES. aws-ses-v2-local speaks SES API v2 only, which deliver does not use.
 *
 * It refuses what SES refuses at the API, with SES's codes and texts; what the documentation
 * requires of a message but SES only finds out when delivering it (a bounce, not an API error)
 * is noted on the kept message as a `problem`, so a test can hold that there are none.
 */

/**
 * SES API v1: 10 MB per message, after base64 encoding, not adjustable (SES Developer Guide,
 * "Service quotas in Amazon SES", message quotas).
 */
export const sesV1MessageLimit = 10_485_760;

/**
 * Header fields that may appear once only in a message's header section (SES Developer Guide,
 * "Amazon SES header fields"); the ones a report message could carry.
 */
const singleHeaders = [
  'content-description', 'content-disposition', 'content-id', 'content-transfer-encoding', 'content-type', 'date',
  'from', 'in-reply-to', 'message-id', 'mime-version', 'references', 'reply-to', 'return-path', 'sender', 'subject',
  'list-unsubscribe', 'list-unsubscribe-post', 'auto-submitted', 'importance', 'priority', 'precedence',
];

export interface SesMessage {
  messageId: string;
  /** The Source parameter, as given. */
  source: string;
  destinations: string[];
  configurationSet?: string;
  /** The message as SendRawEmail received it (base64-decoded). */
  raw: Buffer;
  /** What the docs require of a raw message that this one breaks (RawMessage, SES API reference); empty when none. */
  problems: string[];
}

export interface SesRefusal {
  code: string;
  message: string;
  source?: string;
}

export interface SesLocalOptions {
  port?: number;
  /**
   * Verified identities: addresses (pulse@example.com) or domains (example.com). SES refuses a
   * sender (Source, From, Sender, Return-Path) outside them, in and out of the sandbox.
   */
  identities: string[];
  /** In the sandbox, every recipient must be verified too, or an SES mailbox-simulator address. Default false. */
  sandbox?: boolean;
  /** Configuration sets that exist; a send naming another is refused. */
  configurationSets?: string[];
}

export interface SesLocal {
  url: string;
  port: number;
  messages: SesMessage[];
  refusals: SesRefusal[];
  close(): Promise<void>;
}

class Refused extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export async function startSesLocal(options: SesLocalOptions): Promise<SesLocal> {
  const messages: SesMessage[] = [];
  const refusals: SesRefusal[] = [];
  const server = createServer((request, response) => {
    void answer(request, response);
  });
  async function answer(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    try {
      const region = signedRegion(request.headers.authorization);
      const action = form.get('Action');
      if (action !== 'SendRawEmail') {
        throw new Refused('InvalidAction', `The action ${action ?? '(none)'} is not valid for this web service.`);
      }
      const kept = sendRaw(form, region, options);
      messages.push(kept);
      reply(response, 200, sendRawEmailResponse(kept.messageId));
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      const source = form.get('Source');
      refusals.push({ code: error.code, message: error.message, ...(source ? { source } : {}) });
      reply(response, error.status, errorResponse(error));
    }
  }
  // AWS endpoints keep an idle connection far longer than Node's 5 s default, which would
  // close a kept-alive socket under a request ("socket hang up").
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    messages,
    refusals,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The region of the SigV4 credential scope: SES's "not verified" text names it. No signature at all is refused. */
function signedRegion(authorization: string | undefined): string {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/ses\//.exec(authorization ?? '');
  if (!scope) throw new Refused('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  return scope[1]!;
}

function sendRaw(form: URLSearchParams, region: string, options: SesLocalOptions): SesMessage {
  const data = form.get('RawMessage.Data');
  if (data === null) {
    const said = "Value null at 'rawMessage.data' failed to satisfy constraint: Member must not be null";
    throw new Refused('ValidationError', `1 validation error detected: ${said}`);
  }
  // The limit is on the encoded message (quotas page); SES's own text, as SDK users report it
  // (aws/aws-sdk-go-v2#1774).
  if (data.length > sesV1MessageLimit) {
    const said = `Message length is more than ${sesV1MessageLimit} bytes long: '${data.length}'.`;
    throw new Refused('InvalidParameterValue', said);
  }
  const raw = Buffer.from(data, 'base64');
  const { headers, problems } = readHeaders(raw);
  const duplicate = singleHeaders.find((name) => (headers.get(name)?.length ?? 0) > 1);
  if (duplicate) {
    throw new Refused('InvalidParameterValue', `Duplicate header '${headers.get(duplicate)![0]!.name}'.`);
  }

  const source = form.get('Source') ?? '';
  const destinations = members(form, 'Destinations');
  const values = (names: string[]) => names.flatMap((name) => (headers.get(name) ?? []).map((v) => v.value));
  const recipients = destinations.length > 0 ? destinations : values(['to', 'cc', 'bcc']).flatMap(addresses);
  // At least one recipient (SendRawEmail's requirements); the text is the stand-in's own.
  if (recipients.length === 0) throw new Refused('InvalidParameterValue', "Missing required header 'To'.");
  // SES verifies "From", "Source", "Sender" and "Return-Path", not "Reply-To" (SES Developer
  // Guide, "Amazon SES email sending errors"; re:Post ses-554-400-message-rejected-error).
  const senders = [source, ...values(['from', 'sender', 'return-path'])].filter(Boolean);
  if (senders.length === 0) throw new Refused('InvalidParameterValue', "Missing final '@domain'");
  const unverified = senders.filter((s) => addresses(s).some((a) => !verified(a, options.identities)));
  if (options.sandbox) {
    const simulator = (r: string) => r.endsWith('@simulator.amazonses.com');
    unverified.push(...recipients.filter((r) => !simulator(r) && !verified(r, options.identities)));
  }
  if (unverified.length > 0) {
    const failed = `in region ${region.toUpperCase()}: ${[...new Set(unverified)].join(', ')}`;
    const said = `Email address is not verified. The following identities failed the check ${failed}`;
    throw new Refused('MessageRejected', said);
  }
  const configurationSet = form.get('ConfigurationSetName') ?? undefined;
  if (configurationSet !== undefined && !(options.configurationSets ?? []).includes(configurationSet)) {
    throw new Refused('ConfigurationSetDoesNotExist', `Configuration set <${configurationSet}> does not exist.`);
  }
  // SES's message ids: hex time, then a UUID, then the sequence (SES Developer Guide, blog
  // "How to investigate what happened to the email…": 01000174f87e0fb4-81b97243-…-000000).
  const messageId = `0100${Date.now().toString(16).padStart(12, '0')}-${randomUUID()}-000000`;
  return { messageId, source, destinations, raw, problems, ...(configurationSet ? { configurationSet } : {}) };
}

/** Destinations.member.1, .2, … (the Query protocol's list encoding). */
function members(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.member.${i}`); i += 1) out.push(form.get(`${name}.member.${i}`)!);
  return out;
}

/** Every address in a header value or a Source: `Pulse <pulse@example.com>, b@example.com`. */
export function addresses(value: string): string[] {
  const bracketed = [...value.matchAll(/<([^<>\s]+@[^<>\s]+)>/g)].map((m) => m[1]!);
  if (bracketed.length > 0) return bracketed;
  return [...value.matchAll(/[^\s,;<>"]+@[^\s,;<>"]+/g)].map((m) => m[0]);
}

function verified(address: string, identities: string[]): boolean {
  const lower = address.toLowerCase();
  return identities.some((identity) => {
    const id = identity.toLowerCase();
    return id.includes('@') ? id === lower : lower.endsWith(`@${id}`);
  });
}

type Headers = Map<string, { name: string; value: string }[]>;

/**
 * The header section, unfolded, and what the RawMessage criteria (SES API reference, RawMessage)
 * say a message must be: a header and a body separated by a blank line, no line over 1,000
 * characters with its CRLF (RFC 5321), 7-bit headers.
 */
function readHeaders(raw: Buffer): { headers: Headers; problems: string[] } {
  const text = raw.toString('latin1');
  const problems: string[] = [];
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) problems.push('no blank line between the header section and the body');
  const lines = text.split(/\r?\n/);
  const long = lines.findIndex((line) => line.length > 998);
  if (long >= 0) problems.push(`line ${long + 1} is ${lines[long]!.length} characters (at most 998 and CRLF)`);
  const section = end < 0 ? text : text.slice(0, end);
  const eightBit = [...section].some((c) => c.charCodeAt(0) > 0x7f);
  if (eightBit) problems.push('the header section has characters outside 7-bit ASCII');
  const headers: Headers = new Map();
  for (const field of section.split(/\r?\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim();
    const list = headers.get(name.toLowerCase()) ?? [];
    list.push({ name, value: field.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim() });
    headers.set(name.toLowerCase(), list);
  }
  return { headers, problems };
}

const xmlns = 'http://ses.amazonaws.com/doc/2010-12-01/';
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The response body of SendRawEmail (SES API reference, SendRawEmail, "Response Elements"). */
function sendRawEmailResponse(messageId: string): string {
  return `<SendRawEmailResponse xmlns="${xmlns}">
  <SendRawEmailResult>
    <MessageId>${messageId}</MessageId>
  </SendRawEmailResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</SendRawEmailResponse>
`;
}

/** An error as the Query API returns it (SES API reference, "Common Errors"): Type Sender for a 4xx. */
function errorResponse(error: Refused): string {
  return `<ErrorResponse xmlns="${xmlns}">
  <Error>
    <Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>
    <Code>${error.code}</Code>
    <Message>${escape(error.message)}</Message>
  </Error>
  <RequestId>${randomBytes(16).toString('hex')}</RequestId>
</ErrorResponse>
`;
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  response.end(body);
}
