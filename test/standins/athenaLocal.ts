import { Command } from 'commander';
import { startAthenaLocal } from './athena/server.ts';

/**
 * npm run athena:local -- --s3-endpoint URL --results s3://BUCKET/PREFIX/ [--port N] [--statements FILE]
 * The Athena stand-in (test/standins/athena/server.ts) as a process: its URL is the first line it
 * prints; it serves until stopped (SIGINT or SIGTERM).
 */
const program = new Command('athena:local')
  .requiredOption('--s3-endpoint <url>', 'the S3 API the lake and the query results live behind (s3rver)')
  .requiredOption('--results <uri>', "the workgroup's query results location, s3://bucket/prefix/")
  .option('--port <n>', 'port on 127.0.0.1 (default: any free one)', (v) => Number(v))
  .option('--statements <file>', 'append one JSON line per statement: {"statement", "state", "error"}')
  .option('--lake-bucket <name>', "the lake bucket the stack's Glue tables point into", 'pulse-lake')
  .option('--database <name>', 'the Glue database', 'pulse');
program.parse();
const options = program.opts<{
  s3Endpoint: string;
  results: string;
  port?: number;
  statements?: string;
  lakeBucket: string;
  database: string;
}>();

const server = await startAthenaLocal({
  s3Endpoint: options.s3Endpoint,
  results: options.results,
  port: options.port,
  statementsFile: options.statements,
  lakeBucket: options.lakeBucket,
  database: options.database,
});
process.stdout.write(`${server.url}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
