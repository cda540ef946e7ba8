/** Command-line options of the graph benchmark (pure parsing: unit-tested). */

import { parseArgs } from 'node:util';

export interface Options {
  readonly services: number;
  readonly edges: number;
  readonly tiers: number;
  readonly endpointsPerService: number;
  readonly intervals: number;
  /** Streams folded for 70 minutes to measure memory at full rings (0: not measured). */
  readonly ringSample: number;
  readonly targets: number;
  readonly repeats: number;
  readonly k: number;
  readonly shareTargets: number;
  readonly seed: number;
  readonly heapMiB: number;
  /** Fold rate and memory only: no analyses, no networkx. */
  readonly foldOnly: boolean;
  /** The Python with networkx; undefined with --no-networkx. */
  readonly python: string | undefined;
  readonly json: string | undefined;
  readonly md: string | undefined;
  readonly help: boolean;
}

export const defaultPython = '.cache/graph-ref-venv/bin/python';

export const usage = `Usage: npx tsx bench/graph/run.ts [options]

A synthetic layered mesh (seeded) folded from EdgeStats windows into the live service graph:
fold rate and memory, blast-radius and dependencies latency over random nodes, every analysis
once per run and the full set; then networkx (a child process) on the same exported call graph
for the analyses it has, with ratios. Takes ~4 minutes at the defaults on 2 quiet cores.

Options:
  --services N        services (plus the ingress)                       (default 10000)
  --edges E           call edges, the ingress's included                (default 100000)
  --tiers T           tiers of the layered topology                     (default 8)
  --endpoints P       endpoints per service (hosts edges)               (default 2)
  --intervals I       10-s windows per edge and endpoint to fold        (default 6)
  --ring-sample N     edges and endpoints (a seeded sample) folded for 70 minutes
                      of event time to measure memory at full rings; 0
                      skips it (~15 s at the default)                   (default 1000)
  --targets N         random nodes for blast radius and dependencies    (default 200)
  --repeats R         recorded runs of each analysis, after a first one (default 3)
  --k K               betweenness sources (sampled, both sides)         (default 256)
  --share-targets N  targets whose blast-radius shares networkx + scipy
                      also solve (a sparse LU: seconds each)            (default 5)
  --seed S            seeds the topology, the windows and the sampling  (default 1)
  --heap-mib M        heap limit of the TypeScript child process        (default 8192)
  --python PATH       Python with networkx, numpy, scipy   (default ${defaultPython})
  --no-networkx       skip the networkx comparison
  --fold-only         only the fold (rate, memory, full rings): no analyses, no
                      networkx; prints the fold section and writes nothing
  --json PATH         also write the raw figures as JSON
  --md PATH           also write the Markdown tables
  --help              this text
`;

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`--${name}: expected an integer ≥ ${min}, got '${text}'`);
  }
  return value;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      services: { type: 'string', default: '10000' },
      edges: { type: 'string', default: '100000' },
      tiers: { type: 'string', default: '8' },
      endpoints: { type: 'string', default: '2' },
      intervals: { type: 'string', default: '6' },
      'ring-sample': { type: 'string', default: '1000' },
      targets: { type: 'string', default: '200' },
      repeats: { type: 'string', default: '3' },
      k: { type: 'string', default: '256' },
      'share-targets': { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      'heap-mib': { type: 'string', default: '8192' },
      python: { type: 'string', default: defaultPython },
      'no-networkx': { type: 'boolean', default: false },
      'fold-only': { type: 'boolean', default: false },
      json: { type: 'string' },
      md: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    services: integer('services', values.services, 4),
    edges: integer('edges', values.edges, 1),
    tiers: integer('tiers', values.tiers, 2),
    endpointsPerService: integer('endpoints', values.endpoints, 0),
    intervals: integer('intervals', values.intervals, 1),
    ringSample: integer('ring-sample', values['ring-sample'], 0),
    targets: integer('targets', values.targets, 1),
    repeats: integer('repeats', values.repeats, 1),
    k: integer('k', values.k, 1),
    shareTargets: integer('share-targets', values['share-targets'], 0),
    seed: integer('seed', values.seed, 0),
    heapMiB: integer('heap-mib', values['heap-mib'], 256),
    foldOnly: values['fold-only'],
    python: values['no-networkx'] ? undefined : values.python,
    json: values.json,
    md: values.md,
    help: values.help,
  };
}
