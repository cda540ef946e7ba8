-- Every routing decision of the policy job, the audit trail behind "why is this weight what it
-- is": one row per decision (cluster, time), its endpoints as parallel arrays so a decision is
-- read back whole and in order. Dry-run decisions are recorded too (dry_run = 1).
-- ReplacingMergeTree on (cluster, decided_at): a decision written twice (a retried insert after
-- a timeout) collapses into one; readers use FINAL or LIMIT 1 BY when exactness matters.

CREATE TABLE IF NOT EXISTS routing_decisions
(
  decided_at DateTime64(3, 'UTC'),
  cluster LowCardinality(String),
  data_up_to DateTime64(3, 'UTC'),
  reason LowCardinality(String),
  dry_run UInt8,
  endpoints Array(String),
  weights Array(UInt8),
  previous_weights Array(UInt8),
  endpoint_reasons Array(LowCardinality(String)),
  requests Array(Float64),
  error_rates Array(Float64),
  latency_ms Array(Float64),
  dependency_health Array(Float64),
  relative_cost Array(Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(decided_at)
ORDER BY (cluster, decided_at)
TTL toDateTime(decided_at) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1;
