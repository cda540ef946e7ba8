/**
 * Per-process and whole-machine figures from /proc (Linux): CPU time (user + system, every
 * thread: the JVM's and chdb's included) and resident memory. Undefined off Linux or once the
 * process is gone.
 */

import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/PID/stat CPU times; 100 on every Linux we run on. */
const ticksPerSecond = 100;

/** CPU time used so far by `pid`, in milliseconds. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU time of the whole machine (all cores) so far, in milliseconds. */
export function machineCpuMs(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return {
      busy: ((total - idle) * 1000) / ticksPerSecond,
      total: (total * 1000) / ticksPerSecond,
    };
  } catch {
    return undefined;
  }
}

/** The 1-minute load average, as /proc/loadavg says. */
export function loadAverage(): number | undefined {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}
