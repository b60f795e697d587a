/**
 * Resolves a secret reference to its value: `env:NAME` (an environment variable) or a Secrets
 * Manager ARN (`arn:aws:secretsmanager:…`, in AWS). The config holds references only
 * (functions/config/schema.ts, secretRef). A failure throws SecretError naming the reference;
 * no error, log line or alert may carry the value.
 */
export interface SecretResolver {
  resolve(ref: string): Promise<string>;
}
