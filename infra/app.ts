import { App } from 'aws-cdk-lib';
import { buildPulse, pulseConfig } from './pulseApp.ts';

const app = new App();
const deployed = await pulseConfig(app);
buildPulse(app, deployed?.config, deployed?.file);
app.synth();
