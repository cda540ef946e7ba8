/**
 * Envoy's response flags: the gRPC access log carries them as booleans, operators (and
 * `%RESPONSE_FLAGS%` in Envoy's text logs) know them by their short codes. Same codes, same
 * order as Envoy's ResponseFlagUtils, so a record reads like Envoy's own log line.
 */

import type { ResponseFlags } from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';

type BooleanFlag = Exclude<keyof ResponseFlags, 'unauthorizedDetails'>;

/** Every flag the ALS proto knows, in Envoy's order; UAEX (unauthorized) sits after RL. */
const codes: ReadonlyArray<readonly [BooleanFlag | 'unauthorizedDetails', string]> = [
  ['failedLocalHealthcheck', 'LH'],
  ['noHealthyUpstream', 'UH'],
  ['upstreamRequestTimeout', 'UT'],
  ['localReset', 'LR'],
  ['upstreamRemoteReset', 'UR'],
  ['upstreamConnectionFailure', 'UF'],
  ['upstreamConnectionTermination', 'UC'],
  ['upstreamOverflow', 'UO'],
  ['noRouteFound', 'NR'],
  ['delayInjected', 'DI'],
  ['faultInjected', 'FI'],
  ['rateLimited', 'RL'],
  ['unauthorizedDetails', 'UAEX'],
  ['rateLimitServiceError', 'RLSE'],
  ['downstreamConnectionTermination', 'DC'],
  ['upstreamRetryLimitExceeded', 'URX'],
  ['streamIdleTimeout', 'SI'],
  ['invalidEnvoyRequestHeaders', 'IH'],
  ['downstreamProtocolError', 'DPE'],
  ['upstreamMaxStreamDurationReached', 'UMSDR'],
  ['responseFromCacheFilter', 'RFCF'],
  ['noFilterConfigFound', 'NFCF'],
  ['durationTimeout', 'DT'],
  ['upstreamProtocolError', 'UPE'],
  ['noClusterFound', 'NC'],
  ['overloadManager', 'OM'],
  ['dnsResolutionFailure', 'DF'],
  ['downstreamRemoteReset', 'DRR'],
];

/** The set flags as Envoy's short codes joined by commas ("UF,URX"); "" when none is set. */
export function responseFlagCodes(flags: ResponseFlags | undefined): string {
  if (!flags) return '';
  const set: string[] = [];
  for (const [field, code] of codes) {
    // Envoy only sends unauthorized_details when UAEX applies; its reason adds nothing here.
    if (field === 'unauthorizedDetails' ? flags.unauthorizedDetails !== undefined : flags[field])
      set.push(code);
  }
  return set.join(',');
}

/** All short codes this collector can emit, in order (documentation and tests). */
export const allResponseFlagCodes: readonly string[] = codes.map(([, code]) => code);
