/** One rate's figures, from what the driver sampled and what the client and rollup reported. */

import { machineInfo } from '../xds-scale/machine.ts';
import { cpuPercent, LagHistogram, perSecond } from './histogram.ts';
import type { FromClient, FromRollup } from './protocol.ts';
import { type RateResult, type Role, roles } from './report.ts';

/** CPU (ms, per process and the machine's busy time) and records produced so far, at one instant. */
export interface Snapshot {
  at: number;
  cpu: Record<Role, number>;
  machine: number;
  produced: number;
}

export interface Window {
  from: number;
  to: number;
  first: Snapshot;
  last: Snapshot;
  /** RSS samples in bytes, about one a second. */
  rss: Record<'collector' | 'rollup' | 'kafka', number[]>;
  loadAverageBefore: number | undefined;
  drainMs: number;
}

const MiB = 2 ** 20;

export function rateResult(
  rate: number,
  w: Window,
  sent: Extract<FromClient, { type: 'done' }>,
  report: Extract<FromRollup, { type: 'report' }>,
): RateResult {
  const { first, last, from, to } = w;
  const windowMs = last.at - first.at;
  const lag = LagHistogram.fromPairs(report.lag);
  const cpuPct = Object.fromEntries(
    roles.map((r) => [r, cpuPercent(last.cpu[r] - first.cpu[r], windowMs)]),
  ) as Record<Role, number>;
  const machine = cpuPercent(last.machine - first.machine, windowMs * machineInfo().cores);
  const mem = (k: 'collector' | 'rollup' | 'kafka') => ({
    end: (w.rss[k].at(-1) ?? Number.NaN) / MiB,
    max: Math.max(...w.rss[k]) / MiB,
  });
  return {
    offered: rate,
    producedPerS: perSecond(last.produced - first.produced, windowMs),
    insertedPerS: perSecond(report.insertedInWindow, to - from),
    lagMs: lag.summary(),
    lagMissing: Math.round((rate * (to - from)) / 1000) - lag.count,
    cpuPct: { ...cpuPct, machine },
    rssMiB: { collector: mem('collector'), rollup: mem('rollup'), kafka: mem('kafka') },
    client: {
      lateMaxMs: sent.lateMaxMs,
      busy: sent.busy,
      pendingMaxBytes: sent.pendingMaxBytes,
      messages: sent.messages,
    },
    rollup: { rowsPerInsert: report.rowsPerInsert, insertMs: report.insertMs },
    total: { sent: sent.sent, inserted: report.inserted, drainMs: w.drainMs },
    insertedPerSecond: report.perSecond,
    loadAverageBefore: w.loadAverageBefore,
  };
}
