/**
 * Named points inside the lake's writes where the fault suite stops the process
 * (test/faults/torn-writes.test.ts; docs/design.md, "Fault points"). `PULSE_FAULT=<point>` sends
 * the process SIGKILL the first time it reaches a point whose name starts so (a write's prefix
 * may end in a random id), `<point>#<n>` the n-th time: no handler runs and no file is closed, as
 * when the machine loses power or the OOM killer strikes. `PULSE_FAULT_SIGNAL=SIGSTOP` stops it
 * there instead, for the suite to fill the disk under it and let it go on. Unset, as everywhere
 * outside those tests, it does nothing.
 */
let reached = 0;

export function faultPoint(point: string): void {
  const fault = process.env.PULSE_FAULT;
  if (!fault) return;
  const [name, nth = '1'] = fault.split('#');
  if (!name || !point.startsWith(name)) return;
  reached += 1;
  if (reached === Number(nth))
    process.kill(process.pid, process.env.PULSE_FAULT_SIGNAL === 'SIGSTOP' ? 'SIGSTOP' : 'SIGKILL');
}
