/** Number formats shared by the pages: one place, so a value reads the same everywhere. */

export function rate(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}/s`;
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return `${(value * 100).toFixed(value < 0.01 && value > 0 ? 2 : 1)}%`;
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ms`;
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function shortNumber(value: number): string {
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
