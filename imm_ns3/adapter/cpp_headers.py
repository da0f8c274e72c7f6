"""The package's own C++ headers (``imm_ns3/adapter/cpp/``) and the order they compile in.

One concern per header, each in ``namespace imm`` with an include guard (``IMM_<NAME>_H``).
A header that uses what another defines says so on a line of its opening comment::

    // requires: bridge.h records.h

(no such line: it requires nothing). The headers never ``#include`` one another: Cling is
given each one separately (whole, or its declarations only when the shims library defines its
functions: :func:`declarations_only`), so the order is Python's to keep. It is computed
here from those lines, never written down: :func:`compile_order` for all of them (the shims
library and the precompiled header, ``precompiled.py``), :func:`closure` for one and what it
requires (``runtime.compile_extension``). A cycle or a required header that does not exist is
one :class:`HeaderGraphError` naming it.

Pure: no ns-3, no cppyy (unit-tested with the fast tests).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Mapping

# The folder of the headers, inside the imm_ns3.adapter package (shipped as package data).
FOLDER = "cpp"

_REQUIRES = re.compile(r"^// requires:(.*)$", re.MULTILINE)


class HeaderGraphError(ValueError):
    """The ``requires`` lines of the headers name a missing header or form a cycle."""


def folder() -> Traversable:
    return resources.files("imm_ns3.adapter") / FOLDER


def names() -> tuple[str, ...]:
    """Every header of the folder, by name."""
    return tuple(sorted(p.name for p in folder().iterdir() if p.name.endswith(".h")))


def text(name: str) -> str:
    """The text of one header; a name that is none of them is a HeaderGraphError."""
    if name not in names():
        raise HeaderGraphError(f"{name!r} is not a header of imm_ns3/adapter/{FOLDER}/"
                               f" (headers: {', '.join(names())})")
    return (folder() / name).read_text()


def texts() -> dict[str, str]:
    return {n: (folder() / n).read_text() for n in names()}


def requires(header_text: str) -> tuple[str, ...]:
    """The headers a header's ``// requires:`` lines name (spaces or commas between names)."""
    out: list[str] = []
    for line in _REQUIRES.findall(header_text):
        out.extend(n for n in re.split(r"[\s,]+", line.strip()) if n)
    return tuple(dict.fromkeys(out))


def topological_order(graph: Mapping[str, tuple[str, ...]],
                      targets: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """``targets`` (default: every header of ``graph``) and all they require, each after what it
    requires; ties in the order of ``targets`` and of each ``requires`` line, so the result is
    the same every time. Raises HeaderGraphError on a missing header or a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if name not in graph:
            by = f"{path[-1]} requires {name}" if path else name
            raise HeaderGraphError(f"{by}, which is not a header of imm_ns3/adapter/{FOLDER}/"
                                   f" (headers: {', '.join(sorted(graph))})")
        if state.get(name) == "visiting":
            cycle = " -> ".join((*path[path.index(name):], name))
            raise HeaderGraphError(f"the C++ headers require each other in a cycle: {cycle}")
        state[name] = "visiting"
        for dep in graph[name]:
            visit(dep, (*path, name))
        state[name] = "done"
        order.append(name)

    for t in (tuple(sorted(graph)) if targets is None else targets):
        visit(t, ())
    return tuple(order)


@functools.lru_cache(maxsize=1)  # the headers do not change while a process runs
def graph() -> dict[str, tuple[str, ...]]:
    """Header -> the headers it requires."""
    return {n: requires(t) for n, t in texts().items()}


def compile_order() -> tuple[str, ...]:
    """Every header, each after those it requires."""
    return topological_order(graph())


def closure(header: str) -> tuple[str, ...]:
    """What compiling ``header`` compiles: what it requires (transitively), then itself."""
    return topological_order(graph(), (header,))


def declarations_only(text: str) -> str:
    """``text`` with the body of every function defined at namespace scope (a line starting with
    ``inline`` and ending in ``{``... up to its matching brace) replaced by ``;``: what Cling needs
    when the library defines them. Classes keep their bodies (Cling needs their layout)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("\ninline ", i)
        if j < 0:
            out.append(text[i:])
            break
        start = j + 1
        out.append(text[i:start])
        # the signature runs to the first '{' or ';' at depth 0 of parentheses
        k, depth = start, 0
        while k < n:
            ch = text[k]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and ch in "{;=":
                break
            k += 1
        before = text[:j].rstrip().rsplit("\n", 1)[-1]
        if (k >= n or text[k] != "{" or "(" not in text[start:k]  # a variable, a declaration
                or before.lstrip().startswith("template")):  # a template keeps its body
            i = start + 1
            out.append(text[start])
            continue
        out.append(text[start + len("inline "):k].rstrip() + ";")  # defined in the library
        k = _matching_brace(text, k)
        i = k + 1
    return "".join(out)


def _matching_brace(text: str, k: int) -> int:
    depth, n = 0, len(text)
    while k < n:
        ch = text[k]
        if ch == "/" and text.startswith("//", k):
            k = text.find("\n", k)
            k = n if k < 0 else k
            continue
        if ch == "/" and text.startswith("/*", k):
            k = text.find("*/", k) + 2
            continue
        if ch in "\"'":
            k += 1
            while k < n and text[k] != ch:
                k += 2 if text[k] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k
        k += 1
    raise ValueError("unbalanced braces in a header")
