import type { PulseConfig } from './schema.ts';

/**
 * Every reason a valid config cannot run deployed (the CDK stack and its Lambdas), each naming
 * the file and the key as the schema's errors do; empty when it can. Synth refuses a config with
 * any, listing them all at once, so a deploy never ships a pipeline that fails on its first run.
 */
export function deployedConfigProblems(config: PulseConfig, file: string): string[] {
  const problems: string[] = [];
  if (config.mail.transport !== 'ses') problems.push(notThroughSes(config.mail.transport, file));
  if (config.owners.length === 0) {
    problems.push(
      `${file}: owners: none named: a deployed Pulse alerts its owners when a run fails and subscribes them to the alarms; name at least one address`,
    );
  }
  if (config.audiences.length === 0)
    problems.push(`${file}: audiences: none: a deployed run would render and send nothing`);
  config.sources.forEach((source, i) => {
    if (source.type === 'csv') return;
    for (const [name, ref] of Object.entries(source.credentials)) {
      // The Lambda resolves Secrets Manager ARNs only: it has no environment of secrets to read env: from.
      if (ref.startsWith('env:')) {
        problems.push(
          `${file}: sources[${i}].credentials.${name}: ${ref} is read from the CLI's environment, which a deployed Lambda does not have: use a Secrets Manager ARN`,
        );
      }
    }
  });
  return problems;
}

/** Why mail sent by `transport` cannot run deployed: synth lists it, and the Lambda refuses it at its start. */
export function notThroughSes(transport: string, file: string): string {
  return `${file}: mail.transport: a deployed Pulse sends through SES ("transport": "ses"), not ${transport}`;
}
