import { describe, expect, it } from 'vitest';
import { RoutingDecision } from '../../schemas/gen/meshgraph/meshgraph/v1/routing_decision.ts';
import {
  checkedDecision,
  DecisionDecodeError,
  decisionColumns,
  decisionFromRecord,
  decisionRow,
  decodeDecision,
  encodeDecision,
} from '../../stream-jobs/policy/codec.ts';
import type { Decision, EndpointDecision } from '../../stream-jobs/policy/types.ts';

const decision: Decision = {
  cluster: 'catalog',
  decidedAtMs: 1_764_000_000_123,
  dataUpToMs: 1_764_000_000_000,
  reason: 'adaptive',
  dryRun: false,
  endpoints: [
    {
      endpoint: '127.0.0.1:9001',
      weight: 100,
      previousWeight: 90,
      reason: 'adaptive',
      inputs: {
        requests: 120.5,
        errorRate: 0,
        latencyMs: 10.25,
        dependencyHealth: 1,
        relativeCost: 1,
      },
    },
    {
      endpoint: '127.0.0.1:9002',
      weight: 0,
      previousWeight: 20,
      reason: 'ejected',
      inputs: {
        requests: 3,
        errorRate: 0.5,
        latencyMs: 2,
        dependencyHealth: 0.5,
        relativeCost: 9.5,
      },
    },
  ],
};

describe('routing.v1 codec', () => {
  it('round-trips a decision', () => {
    expect(decodeDecision(encodeDecision(decision))).toEqual(decision);
  });

  it('writes the protobuf field by field', () => {
    const bytes = encodeDecision({ ...decision, endpoints: [] });
    // field 1 (cluster, LEN): tag 0x0a, length 7, "catalog"
    expect([...bytes.subarray(0, 9)]).toEqual([0x0a, 7, ...Buffer.from('catalog')]);
    // field 4 (reason, LEN) follows the two varint timestamps (tags 0x10 and 0x18)
    const reasonAt = bytes.indexOf(0x22);
    expect(Buffer.from(bytes.subarray(reasonAt + 2, reasonAt + 2 + 8)).toString()).toBe('adaptive');
    expect(RoutingDecision.decode(bytes).decidedAtMs).toBe(decision.decidedAtMs);
  });

  it('refuses bytes that are no RoutingDecision', () => {
    expect(() => decodeDecision(Buffer.from([0xff, 0xff, 0xff]))).toThrow(DecisionDecodeError);
  });

  it('names the field no policy job would write', () => {
    const bad = (patch: Partial<Decision>) => () => checkedDecision({ ...decision, ...patch });
    expect(bad({ cluster: '' })).toThrow('decision: cluster is invalid: ""');
    expect(bad({ reason: 'smart' as Decision['reason'] })).toThrow(
      'decision: reason is invalid: "smart"',
    );
    const [first, second] = decision.endpoints as [EndpointDecision, EndpointDecision];
    expect(bad({ endpoints: [{ ...first, weight: 129 }] })).toThrow(
      'decision: endpoints[0].weight is invalid: 129',
    );
    expect(bad({ endpoints: [first, { ...second, endpoint: first.endpoint }] })).toThrow(
      'decision: endpoints[1].endpoint is invalid: "127.0.0.1:9001"',
    );
  });
});

describe('routing_decisions rows', () => {
  it('fills every column, endpoints as parallel arrays', () => {
    const row = decisionRow(decision);
    expect(row).toHaveLength(decisionColumns.length);
    expect(Object.fromEntries(decisionColumns.map((c, i) => [c, row[i]]))).toEqual({
      decided_at: '2025-11-24 16:00:00.123',
      cluster: 'catalog',
      data_up_to: '2025-11-24 16:00:00.000',
      reason: 'adaptive',
      dry_run: 0,
      endpoints: ['127.0.0.1:9001', '127.0.0.1:9002'],
      weights: [100, 0],
      previous_weights: [90, 20],
      endpoint_reasons: ['adaptive', 'ejected'],
      requests: [120.5, 3],
      error_rates: [0, 0.5],
      latency_ms: [10.25, 2],
      dependency_health: [1, 0.5],
      relative_cost: [1, 9.5],
    });
  });

  it('reads a row back into the same decision', () => {
    const row = decisionRow(decision);
    const at = (c: (typeof decisionColumns)[number]) => row[decisionColumns.indexOf(c)] as never;
    expect(
      decisionFromRecord({
        decided_at_ms: String(decision.decidedAtMs),
        cluster: at('cluster'),
        data_up_to_ms: decision.dataUpToMs,
        reason: at('reason'),
        dry_run: at('dry_run'),
        endpoints: at('endpoints'),
        weights: at('weights'),
        previous_weights: at('previous_weights'),
        endpoint_reasons: at('endpoint_reasons'),
        requests: at('requests'),
        error_rates: at('error_rates'),
        latency_ms: at('latency_ms'),
        dependency_health: at('dependency_health'),
        relative_cost: at('relative_cost'),
      }),
    ).toEqual(decision);
  });
});
