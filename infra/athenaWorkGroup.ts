import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { athenaPropProblems, queryResultsBucketProps, workGroupDefaults } from './secureDefaults.ts';

export interface AthenaWorkGroupProps {
  /** The config's athena.workgroup. */
  workGroupName: string;
  /** Encrypts the query results (the lake key: results hold lake data). */
  key: kms.IKey;
  /** Receives the results bucket's server access logs. */
  accessLogs: s3.IBucket;
  /** Athena cancels a query scanning more than this; default 10 GiB. */
  bytesScannedCutoffPerQuery?: number;
  /** Query results expire after this many days; default 30. */
  resultsExpireAfterDays?: number;
}

/**
 * Where analysts and the pipeline run SQL: an engine-v3 workgroup whose configuration is
 * enforced, writing SSE-KMS results into its own bucket where they expire.
 */
export class AthenaWorkGroup extends Construct {
  readonly results: s3.Bucket;
  readonly workGroup: athena.CfnWorkGroup;
  readonly outputLocation: string;
  constructor(scope: Construct, id: string, props: AthenaWorkGroupProps) {
    super(scope, id);
    const problems = athenaPropProblems(props);
    if (problems.length) throw new Error(`AthenaWorkGroup ${id}: ${problems.join('; ')}`);

    this.results = new s3.Bucket(
      this,
      'Results',
      queryResultsBucketProps(props.key, props.accessLogs, props.resultsExpireAfterDays),
    );
    this.outputLocation = `s3://${this.results.bucketName}/results/`;
    this.workGroup = new athena.CfnWorkGroup(
      this,
      'WorkGroup',
      workGroupDefaults({
        name: props.workGroupName,
        description: 'Pulse: the pipeline and analysts query the lake here',
        outputLocation: this.outputLocation,
        kmsKeyArn: props.key.keyArn,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      }),
    );
  }
}
