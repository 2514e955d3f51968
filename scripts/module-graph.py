#!/usr/bin/env python3
"""The import graph of settlement/src's top-level modules, its circles, and
the largest files.

    python3 scripts/module-graph.py            # graph, circles, sizes
    python3 scripts/module-graph.py --check    # exit 1 on a circle or a file over --max-lines

An edge A -> B is a `crate::B` path (or `use crate::{B, ..}`) in A's
non-test code. `main.rs` and `lib.rs` are the roots and are left out.
"""
import argparse
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "settlement", "src")


def scan(root):
    graph, sizes = {}, {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            top = rel.split(os.sep)[0]
            top = top[:-3] if top.endswith(".rs") else top
            text = open(path, encoding="utf-8").read()
            sizes[rel] = text.count("\n")
            if top in ("main", "lib", "layers"):
                continue
            code = text.split("#[cfg(test)]")[0]
            code = re.sub(r"//[^\n]*", "", code)
            names = set(re.findall(r"crate::(\w+)", code))
            for group in re.findall(r"use crate::\{([^}]*)\}", code):
                names.update(re.findall(r"(?:^|,)\s*(\w+)", group))
            graph.setdefault(top, set()).update(n for n in names if n != top)
    return graph, sizes


def circles(graph):
    """Strongly connected components of more than one module."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--max-lines", type=int, default=700)
    parser.add_argument("--largest", type=int, default=10)
    args = parser.parse_args()
    graph, sizes = scan(ROOT)
    for module in sorted(graph):
        print(f"{module} -> {', '.join(sorted(graph[module])) or '(nothing)'}")
    found = circles(graph)
    for c in found:
        print("circle:", " <-> ".join(c))
    print()
    for rel, n in sorted(sizes.items(), key=lambda kv: -kv[1])[: args.largest]:
        print(f"{n:6} {rel}")
    over = [rel for rel, n in sizes.items() if n > args.max_lines]
    print(f"\n{len(found)} circles, {len(over)} files over {args.max_lines} lines")
    if args.check and (found or over):
        sys.exit(1)


if __name__ == "__main__":
    main()
