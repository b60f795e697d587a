import { PulseError } from '../errors.ts';
import { lakeKeys } from '../model/lakeKeys.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { QueryEngine } from '../ports/queryEngine.ts';
import type { StageDefinition } from './list.ts';

/** A stage touched what the stage list does not give it: its role in AWS would be refused the same. */
export class StageAccessError extends PulseError {}

const within = (key: string, prefixes: readonly string[]) => prefixes.some((p) => key.startsWith(p));

/**
 * The lake as one stage of the list may use it: reads under its `reads` and `writes` prefixes
 * (and the config), writes and deletes under its `writes` only, which is what its IAM role is
 * granted in AWS (infra/). The local runner hands each stage this, so a local run fails where
 * the deployed Lambda would be denied.
 */
export function stageStore(store: ObjectStore, stage: StageDefinition): ObjectStore {
  const readable = [...stage.reads, ...stage.writes];
  const check = (key: string, prefixes: readonly string[], what: 'read' | 'write') => {
    if (key === lakeKeys.config && what === 'read') return;
    if (!within(key, prefixes)) {
      throw new StageAccessError(
        `the ${stage.name} stage may not ${what} ${key}: functions/stages/list.ts gives it ${what === 'read' ? 'reads' : 'writes'} under ${prefixes.join(', ')}, and its role in AWS no more`,
      );
    }
  };
  return {
    locate: (key) => (check(key, readable, 'read'), store.locate(key)),
    put: async (key, body) => (check(key, stage.writes, 'write'), store.put(key, body)),
    putIfAbsent: async (key, body) => (check(key, stage.writes, 'write'), store.putIfAbsent(key, body)),
    putStream: async (key, body) => (check(key, stage.writes, 'write'), store.putStream(key, body)),
    putFile: async (key, file) => (check(key, stage.writes, 'write'), store.putFile(key, file)),
    get: async (key) => (check(key, readable, 'read'), store.get(key)),
    list: async (prefix) => (check(prefix, readable, 'read'), store.list(prefix)),
    listObjects: async (prefix) => (check(prefix, readable, 'read'), store.listObjects(prefix)),
    deletePrefix: async (prefix) => (check(prefix, stage.writes, 'write'), store.deletePrefix(prefix)),
  };
}

/**
 * The engine as a stage that does not query sees it (`queries: false` in the list): its dialect
 * and how it reads exports (extract lands parts for it), and no statement. A Lambda of such a
 * stage has no Athena or Glue grant, so it is given this instead of an Athena engine.
 */
export function withoutQueries(
  traits: Pick<QueryEngine, 'dialect' | 'readsExportsInPlace'>,
  stage: StageDefinition,
): QueryEngine {
  const refuse = async (): Promise<never> => {
    throw new StageAccessError(
      `the ${stage.name} stage runs no query (functions/stages/list.ts: queries false), and its role in AWS has no Athena grant`,
    );
  };
  // Read from the engine when asked, not before: a stage that never asks never touches it.
  return {
    get dialect() {
      return traits.dialect;
    },
    get readsExportsInPlace() {
      return traits.readsExportsInPlace;
    },
    registerTables: refuse,
    registerLanded: refuse,
    releaseLanded: refuse,
    createTable: refuse,
    createView: refuse,
    query: refuse,
    writeParquet: refuse,
    close: async () => {},
  };
}

/** A stage's view of the run: the store it may use and, if it does not query, an engine that refuses. */
export function stageParts(
  parts: { store: ObjectStore; engine: QueryEngine },
  stage: StageDefinition,
): { store: ObjectStore; engine: QueryEngine } {
  return {
    store: stageStore(parts.store, stage),
    engine: stage.queries ? parts.engine : withoutQueries(parts.engine, stage),
  };
}
