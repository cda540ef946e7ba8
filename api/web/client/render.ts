/// <reference lib="dom" />
import Sigma from 'sigma';
import type { EdgeDisplayData, NodeDisplayData } from 'sigma/types';
import { dimColor, highlightColor } from './colors.ts';
import type { EdgeAttrs, GraphView, NodeAttrs } from './view.ts';

export interface RenderHandlers {
  onNode(key: string): void;
  onEdge(key: string): void;
  onStage(): void;
  /** Tooltip text for a hovered node or edge. */
  describeNode(key: string): string;
  describeEdge(key: string): string;
}

/**
 * Sigma (WebGL) over the view's graphology instance. Sigma listens to the graph's own events
 * and redraws only what changed; highlight and selection are applied by reducers at draw
 * time, so they never touch the graph's attributes.
 */
export class Renderer {
  readonly sigma: Sigma<NodeAttrs, EdgeAttrs>;
  /** Nodes an analysis marked: everything else is drawn faded. */
  highlight: ReadonlySet<string> | undefined;
  selected: string | undefined;
  renders = 0;

  constructor(
    container: HTMLElement,
    readonly view: GraphView,
    tooltip: HTMLElement,
    handlers: RenderHandlers,
  ) {
    this.sigma = new Sigma(view.graph, container, {
      enableEdgeEvents: true,
      defaultEdgeType: 'arrow',
      renderEdgeLabels: false,
      // Labels only for nodes drawn big enough; sigma also thins them out on a grid.
      labelRenderedSizeThreshold: 7,
      labelDensity: 0.5,
      zIndex: true,
      nodeReducer: (key, data) => this.#node(key, data),
      edgeReducer: (key, data) => this.#edge(key, data),
    });
    this.sigma.on('afterRender', () => {
      this.renders++;
    });
    this.sigma.on('clickNode', ({ node }) => handlers.onNode(node));
    this.sigma.on('clickEdge', ({ edge }) => handlers.onEdge(edge));
    this.sigma.on('clickStage', () => handlers.onStage());
    const show = (text: string, x: number, y: number) => {
      tooltip.textContent = text;
      tooltip.style.left = `${x + 12}px`;
      tooltip.style.top = `${y + 12}px`;
      tooltip.hidden = false;
    };
    const hide = () => {
      tooltip.hidden = true;
    };
    this.sigma.on('enterNode', ({ node, event }) =>
      show(handlers.describeNode(node), event.x, event.y),
    );
    this.sigma.on('enterEdge', ({ edge, event }) =>
      show(handlers.describeEdge(edge), event.x, event.y),
    );
    this.sigma.on('leaveNode', hide);
    this.sigma.on('leaveEdge', hide);
  }

  setHighlight(nodes: ReadonlySet<string> | undefined): void {
    this.highlight = nodes;
    this.sigma.refresh({ skipIndexation: true });
  }

  setSelected(key: string | undefined): void {
    this.selected = key;
    this.sigma.refresh({ skipIndexation: true });
  }

  /** Where a drawn node is, in CSS pixels from the container's top left. */
  viewport(key: string): { x: number; y: number } | undefined {
    const graph = this.view.graph;
    if (!graph.hasNode(key)) return undefined;
    const { x, y } = graph.getNodeAttributes(key);
    return this.sigma.graphToViewport({ x, y });
  }

  /** The colour sigma draws the node in, after highlight and selection. */
  drawnColor(key: string): string | undefined {
    return this.sigma.getNodeDisplayData(key)?.color;
  }

  drawnEdgeColor(key: string): string | undefined {
    return this.sigma.getEdgeDisplayData(key)?.color;
  }

  kill(): void {
    this.sigma.kill();
  }

  #node(key: string, data: NodeAttrs): Partial<NodeDisplayData> {
    const out: Partial<NodeDisplayData> = { ...data };
    if (this.highlight && !this.highlight.has(key)) {
      out.color = dimColor;
      out.label = null;
      out.zIndex = 0;
    } else if (this.highlight) {
      out.zIndex = 1;
      out.forceLabel = true;
    }
    if (key === this.selected) {
      out.highlighted = true;
      out.forceLabel = true;
      out.zIndex = 2;
    }
    return out;
  }

  #edge(key: string, data: EdgeAttrs): Partial<EdgeDisplayData> {
    const out: Partial<EdgeDisplayData> = { ...data };
    if (this.highlight) {
      const [source, target] = this.view.graph.extremities(key);
      if (!this.highlight.has(source) || !this.highlight.has(target)) out.color = dimColor;
    }
    if (key === this.selected) {
      out.color = highlightColor;
      out.size = data.size + 2;
      out.zIndex = 2;
    }
    return out;
  }
}
