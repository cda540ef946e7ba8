import type { Health } from '../../../stream-jobs/graph/model.ts';

/** Node colour by health; the same values as app.css's --healthy etc. */
export const healthColors: Readonly<Record<Health, string>> = {
  healthy: '#2da44e',
  degraded: '#d4a72c',
  failing: '#e5534b',
  unknown: '#8c959f',
};

export const dimColor = '#e6e9ed';
export const highlightColor = '#8250df';

/** Error-rate thresholds of an edge's colour: the health rules' defaults (health.ts). */
export function edgeColor(errorRate: number, kind: 'calls' | 'hosts'): string {
  if (errorRate >= 0.5) return healthColors.failing;
  if (errorRate >= 0.05) return healthColors.degraded;
  return kind === 'hosts' ? '#d0d7de' : '#9aa4af';
}

/** Reason of a routing decision → colour on the decision timeline. */
export function reasonColor(reason: string): string {
  switch (reason) {
    case 'ejected':
    case 'panic':
      return healthColors.failing;
    case 'stale':
    case 'recovering':
      return healthColors.degraded;
    case 'pinned':
      return highlightColor;
    default:
      return '#0969da';
  }
}
