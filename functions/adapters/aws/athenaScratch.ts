import { PulseError } from '../../errors.ts';

/**
 * The relations a stage names for a while (a landed part, the rows it validated, a view over
 * them) as Athena runs them, without a Glue table each: a view becomes a WITH entry prepended
 * to every statement that names it, so nothing is written to the catalog and two runs never
 * share a name; a table (what is read several times, or must outlive the files it was read
 * from) is materialised by CTAS under a name unique to the engine, and the stage's name for it
 * is rewritten to that name. An alias points a stage's name at a catalog table.
 *
 * Names are found outside quoted text ('…' literals, "…" identifiers, comments) and not after
 * a dot, so a file name in a literal, a comment or a qualified catalog name is never rewritten.
 */
export type Relation =
  | { kind: 'view'; sql: string }
  /** physical: as a query names it ("db"."t"); ddlName: as DROP TABLE does (`db`.`t`). */
  | { kind: 'table'; physical: string; ddlName: string }
  | { kind: 'alias'; qualified: string };

const quoted = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g;
const word = /(?<![\w.$"])[a-z_][a-z0-9_]*(?![\w"])/gi;
const leadingWith = /^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*with\s/i;

/** Calls `replace` on every word of the SQL outside quotes and comments, which are kept as they are. */
function mapWords(sql: string, replace: (word: string) => string): string {
  let out = '';
  let at = 0;
  for (const match of sql.matchAll(quoted)) {
    out += sql.slice(at, match.index).replace(word, replace) + match[0];
    at = match.index + match[0].length;
  }
  return out + sql.slice(at).replace(word, replace);
}

export class ScratchRelations {
  private readonly relations = new Map<string, Relation>();

  get(name: string): Relation | undefined {
    return this.relations.get(name.toLowerCase());
  }

  set(name: string, relation: Relation): void {
    this.relations.set(name.toLowerCase(), relation);
  }

  delete(name: string): void {
    this.relations.delete(name.toLowerCase());
  }

  /** The materialised tables, for dropping them when the engine closes. */
  tables(): { name: string; physical: string }[] {
    return [...this.relations].flatMap(([name, r]) => (r.kind === 'table' ? [{ name, physical: r.physical }] : []));
  }

  /** The statement as Athena runs it: tables and aliases renamed, the views it names (and theirs) prepended as WITH entries. */
  expand(sql: string): string {
    const entries: string[] = [];
    const done = new Set<string>();
    const visiting = new Set<string>();
    const rewrite = (text: string): string =>
      mapWords(text, (w) => {
        const name = w.toLowerCase();
        const relation = this.relations.get(name);
        if (!relation) return w;
        if (relation.kind === 'table') return relation.physical;
        if (relation.kind === 'alias') return relation.qualified;
        visit(name, relation.sql);
        return w;
      });
    const visit = (name: string, body: string) => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new PulseError(`the view ${name} refers to itself through the views it reads`);
      visiting.add(name);
      // Its own views first: a WITH entry may name only those before it.
      const expanded = rewrite(body);
      visiting.delete(name);
      done.add(name);
      entries.push(`${name} as (\n${expanded}\n)`);
    };
    const main = rewrite(sql);
    if (entries.length === 0) return main;
    const head = leadingWith.exec(main);
    if (head) return `with ${entries.join(',\n')},\n${main.slice(head[0].length)}`;
    return `with ${entries.join(',\n')}\n${main}`;
  }
}
