/// <reference lib="dom" />
import { Api, HttpError, pathOf } from './api.ts';
import { chartOf, numericColumns, type Row, rowsTable } from './dashboard-view.ts';
import { byId, errorLine, h } from './dom.ts';

// The dashboards page (/ui/dashboards): the SQL dashboards of schemas/clickhouse/dashboards,
// run through `GET /v1/dashboards/:name`. `#name` in the URL opens one.

interface Param {
  name: string;
  type: string;
  default: string;
  description: string;
}

interface Board {
  name: string;
  title: string;
  description: string;
  params: Param[];
}

interface Answer {
  columns: string[];
  rows: Row[];
  params: Record<string, string>;
}

const api = new Api();
const status = byId('status');
const list = byId('board-list');
const pane = byId('board');
let boards: Board[] = [];

async function start(): Promise<void> {
  try {
    ({ dashboards: boards } = await api.get<{ dashboards: Board[] }>('/v1/dashboards'));
  } catch (error) {
    status.textContent = 'unavailable';
    status.className = 'status error';
    const missing = error instanceof HttpError && error.status === 404;
    pane.replaceChildren(
      missing
        ? h(
            'p',
            { class: 'error-box' },
            'This API runs without ClickHouse, so it has no dashboards (start it with --clickhouse, or use meshgraph up).',
          )
        : errorLine(error),
    );
    return;
  }
  status.textContent = `${boards.length} dashboards`;
  list.replaceChildren(
    ...boards.map((board) => {
      const button = h(
        'button',
        { type: 'button', 'data-board': board.name, title: board.description },
        board.title,
      );
      button.addEventListener('click', () => {
        window.location.hash = board.name;
      });
      return h('li', {}, button);
    }),
  );
  window.addEventListener('hashchange', open);
  open();
}

function open(): void {
  const board =
    boards.find((b) => b.name === decodeURIComponent(window.location.hash.slice(1))) ?? boards[0];
  if (!board) return;
  for (const button of list.querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.board === board.name));
  }
  const inputs = board.params.map((param) =>
    h('input', {
      name: param.name,
      value: param.default,
      title: `${param.type}: ${param.description}`,
      size: 10,
    }),
  );
  const measure = h('select', { name: '__measure', 'aria-label': 'chart measure' });
  const form = h(
    'form',
    { class: 'params' },
    ...board.params.map((param, i) =>
      h('label', {}, `${param.name} (${param.description})`, inputs[i]),
    ),
    h('label', {}, 'chart', measure),
    h('button', { type: 'submit' }, 'Run'),
  );
  const result = h('div', { class: 'result' });
  pane.replaceChildren(
    h('h2', {}, board.title),
    h('p', { class: 'muted' }, board.description),
    form,
    result,
  );
  let answer: Answer | undefined;
  const draw = () => {
    if (!answer) return;
    const chart = chartOf(answer.columns, answer.rows, measure.value);
    result.replaceChildren(
      h('p', { class: 'muted row-count' }, `${answer.rows.length} rows`),
      chart ?? h('p', { class: 'muted' }, 'no rows'),
      rowsTable(answer.columns, answer.rows),
    );
  };
  const run = async () => {
    const query = Object.fromEntries(inputs.map((input) => [input.name, input.value]));
    result.replaceChildren(h('p', { class: 'muted' }, 'running…'));
    try {
      answer = await api.get<Answer>(pathOf`/v1/dashboards/${board.name}`, query);
    } catch (error) {
      answer = undefined;
      result.replaceChildren(errorLine(error));
      return;
    }
    const numeric = numericColumns(answer.columns, answer.rows);
    const preferred =
      ['p99_ms', 'rps', 'requests', 'responses'].find((c) => numeric.includes(c)) ??
      numeric[0] ??
      '';
    measure.replaceChildren(
      ...numeric.map((c) => h('option', { value: c, selected: c === preferred }, c)),
    );
    draw();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  measure.addEventListener('change', draw);
  void run();
}

void start();
