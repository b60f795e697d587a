/**
 * What Pulse prints, logs or mails never carries a credential in any form it took on the wire
 * (docs/design.md, "Security"). A secret leaves Pulse transformed: inside a Basic header as the
 * base64 of `email/token:secret` (Zendesk) or `key:X` (Freshdesk), after `Bearer`, url-encoded in
 * a form body, JSON-escaped in an echoed body. So the redactor knows values and their encodings
 * (each secret once resolved, each credential header once sent), and besides them takes out what
 * has the shape of a credential whoever's it is: a Basic or Bearer value, a URL's userinfo, a
 * token in a query string. Every sink (stderr, logs, the owners' alert, a connector's error)
 * passes its text through `redact`.
 */

/** What a redacted value is replaced by. */
export const redacted = '[…]';

/** Shorter values are not taken out: "X" (Freshdesk's password) or "on" would shred every message. */
const shortest = 4;

/** Query parameters that carry a credential (OAuth, API keys, presigned S3 URLs, HubSpot's legacy hapikey). */
const secretParams =
  'access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|hapikey|password|passwd|pwd|secret|' +
  'client_secret|signature|sig|auth|x-amz-signature|x-amz-credential|x-amz-security-token';

const shapes: [RegExp, string][] = [
  // An Authorization value: the scheme stays, the credential goes. 16+ characters with a digit or a
  // base64 sign, so "basic information" in a vendor's prose stays.
  [
    /\b(Basic|Bearer|Token)(\s+|%20|\+)(?=[A-Za-z0-9+/_.~%-]*[0-9+/=_%])[A-Za-z0-9+/_.~%-]{16,}={0,2}/gi,
    `$1$2${redacted}`,
  ],
  // A URL's userinfo: https://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"<>]+@/gi, `$1${redacted}@`],
  // A credential in a query string or a form body, raw or url-encoded (%3F ?, %26 &, %3D =).
  [new RegExp(`([?&;]|%3F|%26)(${secretParams})(=|%3D)[^&\\s#'"<>\\\\]+`, 'gi'), `$1$2$3${redacted}`],
];

/** The forms a value takes on the wire: raw, url-encoded, form-encoded, base64 (and base64url), JSON-escaped. */
export function secretForms(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const forms = [
    value,
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(value, 'utf8').toString('base64url'),
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(value).slice(1, -1).replace(/\//g, '\\/'),
  ];
  return [...new Set(forms)].filter((form) => form.length >= shortest);
}

export class Redactor {
  private readonly known = new Set<string>();
  /** Longest first, so a header value goes whole before a secret inside it leaves a fragment. */
  private values: string[] = [];

  /** Learns secrets (and credential header values) to take out of every text, in each of their forms. */
  add(...secrets: readonly string[]): void {
    const before = this.known.size;
    for (const secret of secrets) for (const form of secretForms(secret)) this.known.add(form);
    // The HTTP client adds its headers at every request: only something new costs a sort.
    if (this.known.size > before) this.values = [...this.known].sort((a, b) => b.length - a.length);
  }

  /** The text with every known value and every credential-shaped string replaced by […]. */
  redact(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(redacted);
    for (const [shape, replacement] of shapes) out = out.replace(shape, replacement);
    return out;
  }
}

/**
 * The process's redactor: the secret resolvers add each value they resolve and the HTTP client
 * each credential header it sends, so a sink that never saw the secret (stderr, an alert) still
 * knows it. One per process, like the Lambda's logger: a value learnt once is never printed.
 */
export const processRedactor = new Redactor();

/** A text as it may be shown: every secret of the process, in every form, and every credential shape taken out. */
export function redact(text: string): string {
  return processRedactor.redact(text);
}
