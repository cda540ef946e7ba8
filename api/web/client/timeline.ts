/// <reference lib="dom" />
import { svg } from './charts.ts';
import { reasonColor } from './colors.ts';
import type { TimelineEntry } from './decisions.ts';
import { clock } from './format.ts';

const hourMs = 60 * 60_000;

/**
 * The time slider: 0 is live, −N replays the graph N minutes ago (`/v1/graph?at=`). Moves are
 * debounced, so dragging across the hour asks the API once, where the slider stops.
 */
export class TimeSlider {
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `now`: the live graph's clock, so the label names the time the replay will ask for. */
  constructor(
    readonly input: HTMLInputElement,
    readonly label: HTMLElement,
    readonly now: () => number,
    onChange: (minutesAgo: number) => void,
  ) {
    input.addEventListener('input', () => {
      this.#label();
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => onChange(-Number(input.value)), 250);
    });
  }

  /** Back to live, or the slider off with the reason (no ClickHouse history). */
  reset(disabledReason?: string): void {
    this.input.value = '0';
    this.input.disabled = disabledReason !== undefined;
    this.input.title = disabledReason ?? '';
    this.#label(disabledReason);
  }

  #label(note?: string): void {
    const minutes = -Number(this.input.value);
    this.label.textContent =
      note ??
      (minutes === 0 ? 'live' : `${minutes} min ago (${clock(this.now() - minutes * 60_000)})`);
  }
}

/**
 * The last hour's routing decisions as marks on the slider's time axis, coloured by reason;
 * a click on one selects its cluster.
 */
export function drawTimeline(
  box: HTMLElement,
  entries: readonly TimelineEntry[],
  nowMs: number,
  note: string | undefined,
  onPick: (cluster: string) => void,
): void {
  const width = 1000;
  const root = svg('svg', { viewBox: `0 0 ${width} 28`, preserveAspectRatio: 'none' });
  root.append(svg('line', { x1: 0, x2: width, y1: 14, y2: 14, stroke: '#d0d7de' }));
  if (note) root.append(svg('text', { x: 4, y: 24, 'font-size': 10, fill: '#656d76' }, note));
  for (const entry of entries) {
    const x = width * (1 - (nowMs - entry.decidedAtMs) / hourMs);
    if (x < 0 || x > width) continue;
    const mark = svg('rect', {
      x: x - 2,
      y: 4,
      width: 4,
      height: 20,
      fill: reasonColor(entry.reason),
      class: 'decision-mark',
      'data-cluster': entry.cluster,
      style: 'cursor:pointer',
    });
    mark.append(svg('title', {}, `${clock(entry.decidedAtMs)} ${entry.cluster}: ${entry.reason}`));
    mark.addEventListener('click', () => onPick(entry.cluster));
    root.append(mark);
  }
  box.replaceChildren(root);
}
