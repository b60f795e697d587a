import { App } from 'aws-cdk-lib';
import { PulseLakeStack } from './lakeStack.ts';

const app = new App();
new PulseLakeStack(app, 'Pulse', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
