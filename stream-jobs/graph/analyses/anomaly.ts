import { jsonNumber, type NodeStats } from './traffic.ts';
import type { Quantile } from './validate.ts';

/**
 * A node's anomaly against its own baseline (a longer horizon of the same decayed stats), one
 * score per signal in 0..1 so errors and latency compare:
 * - errors: the share of requests that succeeded at baseline and now fail,
 *   (e − e₀) / (1 − e₀), counted once e − e₀ ≥ `minErrorRateIncrease`;
 * - latency: the share of the current latency above baseline, 1 − q₀ / q, counted once
 *   q ≥ `latencyRatio` × q₀.
 * Thresholds keep noise at exactly zero, so "not anomalous" is a clear, explainable verdict.
 */
export interface AnomalyThresholds {
  minErrorRateIncrease: number;
  latencyRatio: number;
  /** Fewer decayed requests than this in either horizon: no verdict (scores 0). */
  minRequests: number;
}

export interface AnomalyScores {
  /** max(errorScore, latencyScore). */
  anomaly: number;
  errorScore: number;
  latencyScore: number;
}

export interface StatsJson {
  rate: number;
  errorRate: number | null;
  latencyMs: number | null;
  requests: number;
}

export function toStatsJson(stats: NodeStats): StatsJson {
  const { rate, requests } = stats;
  const errorRate = jsonNumber(stats.errorRate);
  return { rate, requests, errorRate, latencyMs: jsonNumber(stats.latencyMs) };
}

function enough(current: NodeStats, baseline: NodeStats, thresholds: AnomalyThresholds) {
  return current.requests >= thresholds.minRequests && baseline.requests >= thresholds.minRequests;
}

export function scoreAnomaly(
  current: NodeStats,
  baseline: NodeStats,
  thresholds: AnomalyThresholds,
): AnomalyScores {
  if (!enough(current, baseline, thresholds)) return { anomaly: 0, errorScore: 0, latencyScore: 0 };
  const e = current.errorRate;
  const e0 = baseline.errorRate;
  // NaN (no data) fails every comparison below and so scores 0.
  const errorScore = e - e0 >= thresholds.minErrorRateIncrease && e0 < 1 ? (e - e0) / (1 - e0) : 0;
  const q = current.latencyMs;
  const q0 = baseline.latencyMs;
  const latencyScore = q0 > 0 && q >= thresholds.latencyRatio * q0 ? 1 - q0 / q : 0;
  return { anomaly: Math.max(errorScore, latencyScore), errorScore, latencyScore };
}

/** The evidence behind the scores, e.g. `error rate 30.0% vs baseline 1.0%`. */
export function describeAnomaly(
  current: NodeStats,
  baseline: NodeStats,
  quantile: Quantile,
  thresholds: AnomalyThresholds,
  scores: AnomalyScores,
): string {
  if (current.requests < thresholds.minRequests) return 'too few requests for a verdict';
  if (baseline.requests < thresholds.minRequests) return 'no baseline yet';
  const errors = `error rate ${percent(current.errorRate)} vs baseline ${percent(baseline.errorRate)}`;
  const latency = `${quantile} ${ms(current.latencyMs)} vs baseline ${ms(baseline.latencyMs)}`;
  if (scores.errorScore > 0 && scores.latencyScore > 0) return `${errors}; ${latency}`;
  if (scores.errorScore > 0) return errors;
  if (scores.latencyScore > 0) return latency;
  return `no anomaly (${errors}; ${latency})`;
}

function percent(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a';
}

function ms(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : 'n/a';
}
