import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { entities } from '../../functions/model/index.ts';
import { PulseLakeStack } from '../../infra/lakeStack.ts';

const template = Template.fromStack(new PulseLakeStack(new App(), 'Test'));

describe('lake stack', () => {
  it('encrypts every bucket, blocks public access and denies plain HTTP', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toHaveLength(1);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    }
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('gives each entity a Glue table whose columns are its zod schema, month-projected', () => {
    const tickets = entities.find((e) => e.name === 'tickets')!;
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'tickets',
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.month.format': 'yyyy-MM' }),
        StorageDescriptor: Match.objectLike({ Columns: tickets.columns.map((c) => Match.objectLike({ Name: c.name })) }),
      }),
    });
    expect(Object.keys(template.findResources('AWS::Glue::Table'))).toHaveLength(entities.length);
  });
});
