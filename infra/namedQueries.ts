import * as athena from 'aws-cdk-lib/aws-athena';
import { Construct, type IDependable } from 'constructs';
import type { AnalystQuery } from '../functions/model/analystQueries.ts';

export interface NamedQueriesProps {
  queries: readonly AnalystQuery[];
  databaseName: string;
  workGroup: athena.CfnWorkGroup;
  /** Created first: the database and the tables the queries read. */
  dependsOn: readonly IDependable[];
}

/** Athena named queries, saved in the workgroup for analysts. */
export class NamedQueries extends Construct {
  readonly queries: athena.CfnNamedQuery[];
  constructor(scope: Construct, id: string, props: NamedQueriesProps) {
    super(scope, id);
    this.queries = props.queries.map((q) => {
      const named = new athena.CfnNamedQuery(this, q.name, {
        name: q.name,
        description: q.description,
        database: props.databaseName,
        workGroup: props.workGroup.ref,
        queryString: q.sql,
      });
      for (const d of props.dependsOn) named.node.addDependency(d);
      return named;
    });
  }
}
