import { App } from 'aws-cdk-lib';
import { buildPulse, pulseConfig } from './pulseApp.ts';

const app = new App();
buildPulse(app, await pulseConfig(app));
app.synth();
