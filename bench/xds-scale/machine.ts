/** What a result is reported with: the machine it ran on, and the TCP connections it used. */

import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()} ${process.arch}`,
  };
}

/**
 * Established IPv4 TCP connections whose remote port is `port`, from /proc/net/tcp: the
 * client side of each connection to the server, i.e. how many HTTP/2 connections grpc-js
 * really opened (measured, not assumed from the channel count). Undefined off Linux.
 */
export function establishedTo(port: number): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // Columns: sl local_address rem_address st …; addresses are HEXIP:HEXPORT, st 01 = ESTABLISHED.
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[2]?.endsWith(`:${hexPort}`) && cols[3] === '01').length;
}
