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
 * are landed from where they are saved, with the CLI, and the Lambdas only curate them); an API source
 * becomes one Source per entity it pulls, sharing one connection (and one rate limit).
 */
export interface SourceWiring {
  /** Where a CSV source's relative paths start (the config's folder). */
  baseDir: string;
  secrets: SecretResolver;
  /**
   * `landed`: CSV exports are landed elsewhere, with the CLI (the Lambdas): a CSV source pulls
   * nothing here, but curate still reads what it landed by its reading rules.
   */
  csv?: 'read' | 'landed';
  /** For tests: the HTTP client's clock and waits, and how many records a landed part gathers. */
  connectors?: ConnectorOptions;
}

const connectors: Record<
  ApiSourceConfig['type'],
  (config: ApiSourceConfig, secrets: SecretResolver, options: ConnectorOptions) => Source[]
> = {
  zendesk: zendeskSources,
  freshdesk: freshdeskSources,
  hubspot: hubspotSources,
  salesforce: salesforceSources,
};

export function sourcesFor(config: PulseConfig, wiring: SourceWiring): Source[] {
  const options = wiring.connectors ?? {};
  return config.sources.flatMap((source) => {
    if (source.type === 'csv') {
      const csv = new CsvSource(source, entityByName(source.entity)!, wiring.baseDir, config.timezone);
      return [wiring.csv === 'landed' ? landedElsewhere(csv) : csv];
    }
    return connectors[source.type](source, wiring.secrets, options);
  });
}

/**
 * A CSV source whose exports the CLI lands (`pulse run --stages extract` on the s3:// lake):
 * extract pulls nothing from it, and curate validates its landed parts with its reading rules.
 * Without it the deployed curate saw no CSV source, so landed exports were never curated.
 */
function landedElsewhere(source: Source): Source {
  return {
    name: source.name,
    entity: source.entity,
    reading: source.reading,
    ...(source.mode ? { mode: source.mode } : {}),
    pull: async function* () {},
  };
}
