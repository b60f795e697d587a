import { App } from 'aws-cdk-lib';
import { athenaConfig, buildPulse } from './pulseApp.ts';

const app = new App();
buildPulse(app, await athenaConfig(app));
app.synth();
