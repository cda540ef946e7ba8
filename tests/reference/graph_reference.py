#!/usr/bin/env python3
"""Reference answers for the graph analyses (stream-jobs/graph/analyses), from networkx.

Regenerate (the venv is git-ignored; networkx's PageRank needs numpy and scipy):

    python3 -m venv .cache/graph-ref-venv
    .cache/graph-ref-venv/bin/pip install networkx numpy scipy
    .cache/graph-ref-venv/bin/python tests/reference/graph_reference.py

It writes tests/fixtures/graph-reference.json (committed): a few seeded random call graphs,
DAG-ish with some cycles, and networkx's answers for them. tests/unit/graph-reference.test.ts
rebuilds each graph with graphology and compares every answer.

What is compared, and how the two sides were matched:
- ancestors (blast radius callers) with depth = shortest path length to the target;
- descendants (dependencies) with depth = single_source_shortest_path_length;
- blast-radius shares: the traffic-split model solved as one linear system with numpy,
  (I - P_AA) f = P_AX over the ancestors A, instead of the analyses' sweeps;
- articulation points and bridges of the undirected view (G.to_undirected());
- PageRank, unweighted and weighted by rate: networkx's defaults (alpha 0.85, tol 1e-6,
  max_iter 100) equal graphology-metrics' (alpha 0.85, tolerance 1e-6, maxIterations 100), both
  stop when the L1 change < N * tol and both spread dangling nodes' rank uniformly;
- betweenness, normalised for directed graphs by 1/((n-1)(n-2)) on both sides, unweighted.
Endpoint nodes (with `hosts` edges) are added on the TypeScript side only: the analyses must
leave them out of the call structure, so networkx never sees them.
"""

import json
import random
import re
import sys
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "graph-reference.json"

# (seed, nodes): small enough to read, large enough for cycles, cut vertices and ties.
SPECS = [(1, 30), (2, 60), (3, 120), (4, 200)]


def generate(seed: int, n: int) -> nx.DiGraph:
    """Callers mostly call later nodes (a DAG); about 6% of edges point back (cycles)."""
    rng = random.Random(seed)
    g = nx.DiGraph()
    names = [f"svc-{seed}-{i:03d}" for i in range(n)]
    g.add_nodes_from(names)
    for i in range(n - 1):
        # Leaves and thin chains give the graph articulation points and bridges.
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            j = rng.randrange(i + 1, min(n, i + 1 + max(3, n // 4)))
            g.add_edge(names[i], names[j], rate=round(rng.uniform(0.5, 100.0), 2))
    for _ in range(max(1, n // 16)):
        i = rng.randrange(1, n)
        j = rng.randrange(0, i)
        if not g.has_edge(names[i], names[j]):
            g.add_edge(names[i], names[j], rate=round(rng.uniform(0.5, 100.0), 2))
    return g


def blast_shares(g: nx.DiGraph, target: str) -> dict:
    """Probability that a rate-proportional walk from each ancestor reaches the target."""
    ancestors = sorted(nx.ancestors(g, target))
    if not ancestors:
        return {}
    index = {node: k for k, node in enumerate(ancestors)}
    p = np.zeros((len(ancestors), len(ancestors)))
    r = np.zeros(len(ancestors))
    for a in ancestors:
        out = list(g.out_edges(a, data="rate"))
        total = sum(rate for _, _, rate in out)
        for _, b, rate in out:
            share = rate / total
            if b == target:
                r[index[a]] += share
            elif b in index:
                p[index[a], index[b]] += share
    f = np.linalg.solve(np.eye(len(ancestors)) - p, r)
    return {node: float(f[index[node]]) for node in ancestors}


def expected(g: nx.DiGraph, rng: random.Random) -> dict:
    nodes = list(g.nodes)
    with_callers = [v for v in nodes if g.in_degree(v) > 0]
    with_callees = [v for v in nodes if g.out_degree(v) > 0]
    targets = sorted(rng.sample(with_callers, min(5, len(with_callers))))
    sources = sorted(rng.sample(with_callees, min(5, len(with_callees))))
    reverse = g.reverse(copy=False)
    u = g.to_undirected()
    return {
        "ancestors": {
            t: {v: d for v, d in nx.single_source_shortest_path_length(reverse, t).items() if v != t}
            for t in targets
        },
        "blastShares": {t: blast_shares(g, t) for t in targets},
        "descendants": {
            s: {v: d for v, d in nx.single_source_shortest_path_length(g, s).items() if v != s}
            for s in sources
        },
        "articulationPoints": sorted(nx.articulation_points(u)),
        "bridges": sorted(sorted(edge) for edge in nx.bridges(u)),
        "pagerank": nx.pagerank(g, weight=None),
        "pagerankWeighted": nx.pagerank(g, weight="rate"),
        "betweenness": nx.betweenness_centrality(g, normalized=True, weight=None),
    }


def to_json(value, indent: int = 0, column: int = 0) -> str:
    """JSON laid out as Biome formats it (the repository's formatter checks fixtures too):
    objects one key per line, arrays on one line when that fits in 100 columns."""
    pad = " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = list(value.items())
        lines = []
        for k, (key, item) in enumerate(items):
            head = f"{pad}{json.dumps(key)}: "
            comma = "," if k < len(items) - 1 else ""
            lines.append(head + to_json(item, indent + 2, len(head) + len(comma)) + comma)
        return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        flat = "[" + ", ".join(to_json(item, 0, 0) for item in value) + "]"
        if "\n" not in flat and column + len(flat) <= 100:
            return flat
        lines = [
            pad + to_json(item, indent + 2, len(pad) + 1) + ("," if k < len(value) - 1 else "")
            for k, item in enumerate(value)
        ]
        return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"
    if isinstance(value, float):
        # Biome writes exponents without padding: 9.9e-5, not Python's 9.9e-05.
        return re.sub(r"e([+-]?)0*(\d)", r"e\1\2", repr(value))
    return json.dumps(value)


def main() -> None:
    graphs = []
    for seed, n in SPECS:
        g = generate(seed, n)
        rng = random.Random(seed * 7919)
        endpoints = [
            [node, f"{node}/10.{seed}.{k}.1:8080"]
            for k, node in enumerate(rng.sample(list(g.nodes), min(8, n)))
        ]
        graphs.append(
            {
                "name": f"seed{seed}-n{n}",
                "seed": seed,
                "nodes": list(g.nodes),
                "edges": [[a, b, rate] for a, b, rate in g.edges(data="rate")],
                "endpoints": endpoints,
                "expected": expected(g, rng),
            }
        )
    document = {
        "generator": "tests/reference/graph_reference.py",
        "networkx": nx.__version__,
        "python": sys.version.split()[0],
        "graphs": graphs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(to_json(document) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(graphs)} graphs")


if __name__ == "__main__":
    main()
