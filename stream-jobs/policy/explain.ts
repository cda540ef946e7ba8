/**
 * A decision in words, for `meshgraph` and the API: a line for the cluster, then one per
 * endpoint saying what its weight is and why.
 */
import type { Decision, EndpointDecision } from './types.ts';

export function explainDecision(decision: Decision): string[] {
  return [clusterLine(decision), ...decision.endpoints.map(endpointLine)];
}

function clusterLine(d: Decision): string {
  const when = new Date(d.decidedAtMs).toISOString();
  const data =
    d.dataUpToMs > 0 ? `, on statistics up to ${new Date(d.dataUpToMs).toISOString()}` : '';
  const mode = d.dryRun ? ' (dry run: recorded, not pushed)' : '';
  return `${d.cluster}: ${d.reason} decision at ${when}${data}${mode}`;
}

function endpointLine(e: EndpointDecision): string {
  const change = e.weight === e.previousWeight ? 'unchanged' : `was ${e.previousWeight}`;
  return `${e.endpoint}: weight ${e.weight} (${change}), ${why(e)}`;
}

function why(e: EndpointDecision): string {
  switch (e.reason) {
    case 'pinned':
      return 'pinned by an operator';
    case 'stale':
      return 'static: no fresh statistics, so the configured weight';
    case 'panic':
      return `panic guard: most endpoints look bad, so no ejection and equal weights; ${measured(e)}`;
    case 'ejected':
      return `ejected (no traffic until it is probed again): ${measured(e)}`;
    case 'recovering':
      return `recovering: on probation (sparse probes) or climbing back by the recovery ramp; ${measured(e)}`;
    case 'adaptive':
      return `adaptive: ${measured(e)}`;
    case 'insufficient-data':
      return `too few recent requests to judge (${e.inputs.requests.toFixed(1)}), weight kept`;
  }
}

/** "latency 83.0 ms, 4.1× the best endpoint's cost; error rate 0.0%" (cost: cost.ts). */
function measured(e: EndpointDecision): string {
  const { latencyMs, errorRate, dependencyHealth, relativeCost } = e.inputs;
  const cost =
    relativeCost < 1.05
      ? 'as good as the best endpoint'
      : `${relativeCost.toFixed(1)}× the best endpoint's cost`;
  const health =
    dependencyHealth < 0.995
      ? `; dependencies ${(dependencyHealth * 100).toFixed(0)}% healthy`
      : '';
  return `latency ${latencyMs.toFixed(1)} ms, ${cost}; error rate ${(errorRate * 100).toFixed(1)}%${health}`;
}
