import { PulseError } from '../errors.ts';
import { defaultPeriod } from './lambdaContext.ts';

/** What the monthly schedule hands the starter: the time it fired (<aws.scheduler.scheduled-time>). */
export interface ScheduledEvent {
  scheduledTime: string;
}

/**
 * The period a scheduled run reports, worked out before the run starts, so the run's execution
 * can be named by it (docs/design.md, "One execution per period"): the month before the time the
 * schedule fired, in the business zone (PULSE_TIMEZONE), as every stage would work it out.
 */
export async function handler(event: ScheduledEvent): Promise<{ period: string; scheduledTime: string }> {
  const zone = process.env.PULSE_TIMEZONE;
  if (!zone) throw new PulseError("the Lambda's environment has no PULSE_TIMEZONE: deploy it with the Pulse stack");
  return { period: defaultPeriod(new Date(event.scheduledTime), zone), scheduledTime: event.scheduledTime };
}
