import type { ApiSourceConfig, PulseConfig } from '../config/schema.ts';
import { entityByName } from '../model/index.ts';
import type { SecretResolver } from '../ports/secrets.ts';
import type { Source } from '../ports/source.ts';
import type { ConnectorOptions } from './api/apiSource.ts';
import { CsvSource } from './csv.ts';
import { freshdeskSources } from './freshdesk/freshdesk.ts';
import { hubspotSources } from './hubspot/hubspot.ts';
import { salesforceSources } from './salesforce/salesforce.ts';
import { zendeskSources } from './zendesk/zendesk.ts';

/**
 * The one source registry: the CLI and the extract Lambda both build their sources here, from
 * the config. A CSV source reads export files on the machine that runs it (in the cloud they
 * are landed from where they are saved, with the CLI, so the Lambda skips them); an API source
 * becomes one Source per entity it pulls, sharing one connection (and one rate limit).
 */
export interface SourceWiring {
  /** Where a CSV source's relative paths start (the config's folder). */
  baseDir: string;
  secrets: SecretResolver;
  /** `skip`: CSV sources are not read here (the extract Lambda). */
  csv?: 'read' | 'skip';
  /** For tests: the HTTP client's clock and waits, and how many records a landed part gathers. */
  connectors?: ConnectorOptions;
}

const connectors: Record<ApiSourceConfig['type'], (config: ApiSourceConfig, secrets: SecretResolver, options: ConnectorOptions) => Source[]> = {
  zendesk: zendeskSources,
  freshdesk: freshdeskSources,
  hubspot: hubspotSources,
  salesforce: salesforceSources,
};

export function sourcesFor(config: PulseConfig, wiring: SourceWiring): Source[] {
  const options = wiring.connectors ?? {};
  return config.sources.flatMap((source) => {
    if (source.type === 'csv') return wiring.csv === 'skip' ? [] : [new CsvSource(source, entityByName(source.entity)!, wiring.baseDir, config.timezone)];
    return connectors[source.type](source, wiring.secrets, options);
  });
}
