"""Generate the field reference of docs/scenario.md from the scenario schema.

One source of truth: the pydantic models declare each field once with its default, unit (in the
name) and description; ``python -m imm_ns3.cli.docgen`` rewrites the generated part of
docs/scenario.md, and a test fails when the committed file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..scenario import Scenario, _models_in, _unwrap
from ..scenario.schema import MOBILITY_CLASSES

BEGIN = "<!-- BEGIN GENERATED FIELD REFERENCE (python -m imm_ns3.cli.docgen) -->"
END = "<!-- END GENERATED FIELD REFERENCE -->"

_UNITS = {"_s": "s", "_ms": "ms", "_m": "m", "_mps": "m/s", "_mbps": "Mbit/s", "_kbps": "kbit/s", "_dbm": "dBm",
          "_db": "dB", "_deg": "degrees"}


def _unit(name: str) -> str:
    for suffix, unit in sorted(_UNITS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return unit
    return ""


def _type_name(tp: Any) -> str:
    tp = _unwrap(tp)
    if set(_models_in(tp)) == set(MOBILITY_CLASSES):
        return "mobility table (below)"
    origin = get_origin(tp)
    if origin is dict:
        return f"table of {_type_name(get_args(tp)[1])}"
    if origin in (list, tuple):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        if origin is tuple:
            return f"[{', '.join(_type_name(a) for a in args)}]"
        return f"list of {_type_name(args[0])}" if args else "list"
    if getattr(origin, "__name__", "") == "Literal" or str(origin) == "typing.Literal":
        return " \\| ".join(f"`{a!r}`".replace("'", '"') for a in get_args(tp))
    if isinstance(tp, type):
        return {"float": "number", "int": "integer", "str": "string", "bool": "boolean"}.get(
            tp.__name__, tp.__name__)
    return str(tp).replace("typing.", "")


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    d = field.default
    if d is PydanticUndefined and field.default_factory is not None:
        d = field.default_factory()
    if isinstance(d, BaseModel):
        vals = d.model_dump()
        if all(isinstance(v, (int, float, str, bool)) for v in vals.values()) and len(vals) <= 3:
            return "`{" + ", ".join(f"{k} = {v}" for k, v in vals.items()) + "}`"
        return "(table below)"
    if d is None:
        return "(none)"
    if isinstance(d, bool):
        return "`true`" if d else "`false`"
    if isinstance(d, str):
        return f'`"{d}"`'
    return f"`{d}`"


def _section(title: str, model: type[BaseModel], lines: list[str], seen: set) -> list[tuple[str, type]]:
    lines += [f"### `{title}`", ""]
    doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
    if doc:
        lines += [doc, ""]
    lines += ["| field | type | default | unit | meaning |", "|---|---|---|---|---|"]
    nested = []
    for name, f in model.model_fields.items():
        desc = (f.description or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{name}` | {_type_name(f.annotation)} | {_default(f)} | {_unit(name)} | {desc} |")
        for sub in (_models_in(f.annotation) or _models_in(_dict_value(f.annotation))
                    or _models_in(_list_item(f.annotation))):
            if sub not in seen and sub not in MOBILITY_CLASSES:
                seen.add(sub)
                key = f"{title}.{name}" if title != "(top level)" else name
                if get_origin(_unwrap(f.annotation)) is dict:
                    key += ".<name>"
                elif get_origin(_unwrap(f.annotation)) is list:
                    key = f"[[{key}]]"
                nested.append((key, sub))
    lines.append("")
    return nested


def _list_item(tp: Any) -> Any:
    tp = _unwrap(tp)
    return get_args(tp)[0] if get_origin(tp) is list and get_args(tp) else None


def _dict_value(tp: Any) -> Any:
    tp = _unwrap(tp)
    return get_args(tp)[1] if get_origin(tp) is dict else None


def field_reference() -> str:
    lines: list[str] = []
    seen: set = {Scenario}
    todo = [("(top level)", Scenario)]
    while todo:
        title, model = todo.pop(0)
        todo += _section(title, model, lines, seen)
    for m in MOBILITY_CLASSES:
        _section(f"mobility (model = \"{m.model_fields['model'].default}\")", m, lines, seen)
    return "\n".join(lines).rstrip() + "\n"


def render(doc: str) -> str:
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{field_reference()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0] if argv else "docs/scenario.md")
    path.write_text(render(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
