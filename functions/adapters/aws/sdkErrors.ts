/**
 * What an AWS SDK v3 error says, read one way for every AWS adapter: whether the service
 * throttled, failed on its side, could not be reached, or found no credentials. Each adapter
 * words its own message and decides what a retry may do; the reading of the error is here.
 */
type SdkError = Error & {
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
};

/** Throttling as the services and the SDK name it (S3 answers 503 SlowDown; Athena TooManyRequestsException). */
const throttlingNames = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
const networkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED']);

export interface SdkFacts {
  name: string;
  message: string;
  /** `Name: message`, fit to quote: the SDK's messages name resources, never credentials or secret values. */
  said: string;
  status: number | undefined;
  throttled: boolean;
  /** A 5xx, or a fault the SDK marks as the server's. */
  serverFault: boolean;
  /** The request never got an answer: a dropped connection, a timeout. */
  unreachable: boolean;
  noCredentials: boolean;
}

export function sdkFacts(error: unknown): SdkFacts {
  const e = error as SdkError | undefined;
  const name = e?.name ?? 'Error';
  const message = e?.message ?? '';
  const status = e?.$metadata?.httpStatusCode;
  return {
    name,
    message,
    said: message ? `${name}: ${message}` : name,
    status,
    throttled: throttlingNames.has(name) || e?.$retryable?.throttling === true,
    serverFault: (status !== undefined && status >= 500) || e?.$fault === 'server',
    unreachable: networkCodes.has(e?.code ?? '') || name === 'TimeoutError' || name === 'RequestTimeout',
    noCredentials: name === 'CredentialsProviderError',
  };
}
