#!/usr/bin/env python3
"""The networkx side of the graph benchmark (bench/graph): the analyses networkx has, on the
call graph the TypeScript fold built (exported by bench/graph/js-side.ts), timed here and checked
against the TypeScript answers.

    networkx_bench.py INPUT.json OUTPUT.json

INPUT: {"nodes": [...], "edges": [[source, target, rate], ...], "targets": [...],
        "sources": [...], "k": int, "seed": int, "repeats": int, "answers": {...}}
OUTPUT: versions, timings in milliseconds, and the checks (see `main`).

What each row runs and how it is checked: bench/graph/README.md ("networkx"). In short:
ancestors/descendants with depth by BFS; blast-radius shares as one sparse system solved by
scipy.sparse.linalg.spsolve (the reference test's numpy solve, at scale); to_undirected +
articulation_points + bridges; pagerank(weight="rate"); betweenness by networkx's own per-source
Brandes code from the TypeScript side's k sources, scaled as it does (N/k, 1/((N-1)(N-2)):
networkx 3.5+ rescales sampled runs differently); louvain_communities, both partitions scored
by nx.community.modularity.
"""

import json
import resource
import sys
import time

import networkx as nx
import numpy
import scipy
import scipy.sparse
import scipy.sparse.linalg
from networkx.algorithms.centrality.betweenness import (
    _accumulate_basic,
    _single_source_shortest_path_basic,
)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def runs(fn, repeats):
    """Run 0 and `repeats` more; every time is kept (CPython has no JIT to warm up)."""
    times, result = [], None
    for _ in range(repeats + 1):
        ms, result = timed(fn)
        times.append(ms)
    return times, result


def closure_check(answers, found):
    """Targets whose (count, Σ depth) differ from the TypeScript answer."""
    return sorted(t for t, d in found.items() if [len(d), sum(d.values())] != answers.get(t))


def per_node(g, nodes, answers):
    times, found = [], {}
    for node in nodes:
        ms, depths = timed(lambda: nx.single_source_shortest_path_length(g, node))
        times.append(ms)
        found[node] = {v: d for v, d in depths.items() if v != node}
    return {"ms": times, "mismatches": closure_check(answers, found)}


def shares(g, reverse, target):
    """Probability that a rate-proportional walk from each ancestor reaches the target."""
    ancestors = [v for v in nx.single_source_shortest_path_length(reverse, target) if v != target]
    index = {v: i for i, v in enumerate(ancestors)}
    rows, cols, values = [], [], []
    r = numpy.zeros(len(ancestors))
    for a in ancestors:
        out = g[a]
        total = sum(d["rate"] for d in out.values())
        for b, d in out.items():
            if b == target:
                r[index[a]] += d["rate"] / total
            elif b in index:
                rows.append(index[a])
                cols.append(index[b])
                values.append(d["rate"] / total)
    n = len(ancestors)
    p = scipy.sparse.csc_matrix((values, (rows, cols)), shape=(n, n))
    f = scipy.sparse.linalg.spsolve(scipy.sparse.identity(n, format="csc") - p, r)
    return dict(zip(ancestors, numpy.atleast_1d(f).tolist()))


def shares_check(g, reverse, expected):
    """Times per target, the largest share difference, targets whose callers differ."""
    times, diffs, mismatches = [], [], []
    for target, ts in expected.items():
        ms, found = timed(lambda: shares(g, reverse, target))
        times.append(ms)
        if set(found) != set(ts):
            mismatches.append(target)
        elif found:
            diffs.append(max_diff(found, ts))
    return times, max(diffs, default=None), mismatches


def betweenness_from(g, sources):
    scores = dict.fromkeys(g, 0.0)
    for s in sources:
        stack, pred, sigma, _ = _single_source_shortest_path_basic(g, s)
        scores, _ = _accumulate_basic(scores, stack, pred, sigma, s)
    n = len(g)
    scale = n / len(sources) / ((n - 1) * (n - 2))
    return {v: b * scale for v, b in scores.items()}


def max_diff(a, b):
    return max(abs(a[v] - b.get(v, float("nan"))) for v in a)


def main() -> None:
    source_path, out_path = sys.argv[1], sys.argv[2]
    data = json.loads(open(source_path).read())
    answers, repeats = data["answers"], data["repeats"]

    def build():
        g = nx.DiGraph()
        g.add_nodes_from(data["nodes"])
        g.add_weighted_edges_from(data["edges"], weight="rate")
        return g

    wall0, cpu0 = time.perf_counter(), time.process_time()
    build_ms, g = timed(build)
    reverse = g.reverse(copy=False)
    out = {
        "python": sys.version.split()[0],
        "networkx": nx.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "graph": {"nodes": g.number_of_nodes(), "edges": g.number_of_edges(), "buildMs": build_ms},
    }
    blast = per_node(reverse, data["targets"], answers["blastRadius"])
    deps = per_node(g, data["targets"], answers["dependencies"])
    shares_ms, shares_diff, shares_mismatches = shares_check(g, reverse, answers["shares"])

    def spof():
        u = g.to_undirected()
        return set(nx.articulation_points(u)), {tuple(sorted(e)) for e in nx.bridges(u)}

    spof_ms, (aps, bridges) = runs(spof, repeats)
    pr_ms, pr = runs(lambda: nx.pagerank(g, weight="rate"), repeats)
    bc_ms, bc = runs(lambda: betweenness_from(g, data["sources"]), repeats)
    seed = data["seed"]
    lv_ms, parts = runs(lambda: nx.community.louvain_communities(g, weight="rate", seed=seed), repeats)
    ts_parts = [set(c) for c in answers["communities"]]
    out["timings"] = {
        "blastRadius": blast["ms"],
        "dependencies": deps["ms"],
        "shares": shares_ms,
        "spof": spof_ms,
        "pagerank": pr_ms,
        "betweenness": bc_ms,
        "communities": lv_ms,
    }
    ts_bridges = {tuple(b) for b in answers["bridges"]}
    out["checks"] = {
        "blastRadiusMismatches": blast["mismatches"],
        "dependenciesMismatches": deps["mismatches"],
        "sharesMaxDiff": shares_diff,
        "sharesMismatches": shares_mismatches,
        "articulationPoints": [len(aps), aps == set(answers["articulationPoints"])],
        "bridges": [len(bridges), bridges == ts_bridges],
        "pagerankMaxDiff": max_diff(pr, answers["pagerank"]),
        "betweennessMaxDiff": max_diff(bc, answers["betweenness"]),
        "communities": len(parts),
        "modularity": nx.community.modularity(g, parts, weight="rate"),
        "tsModularity": nx.community.modularity(g, ts_parts, weight="rate"),
    }
    out["wallMs"] = (time.perf_counter() - wall0) * 1000
    out["cpuMs"] = (time.process_time() - cpu0) * 1000
    out["maxRssBytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
