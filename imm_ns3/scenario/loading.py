"""Reading scenario files and built-in scenarios, ``--set`` overrides by dotted path, and turning
pydantic's errors into one line per problem naming the field and what is allowed."""

from __future__ import annotations

import copy
import re
import tomllib
import types
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import PROBLEM_SEPARATOR, ScenarioError, cut, shown
from .files import FileProblem, read_regular_file
from .schema import MOBILITY_MODELS, Scenario

BUILTIN_SCENARIOS = ("patent-walk", "redundancy", "crowd", "mobile-pair")
DEFAULT_SCENARIO = "patent-walk"


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("imm_ns3") / "scenarios" / f"{name}.toml"))


def read_scenario_dict(source: str | Path) -> tuple[dict, str]:
    """Read a scenario file, or a built-in scenario by name, into a plain dict."""
    src = str(source)
    if src in BUILTIN_SCENARIOS:
        path = builtin_path(src)
    else:
        path = Path(src)
        if not path.exists():
            raise ScenarioError([
                f"scenario: no file {shown(src, 200)} and no built-in scenario of that name;"
                f" built-in: {', '.join(BUILTIN_SCENARIOS)}"
            ])
    data = parse_toml_file(path, "scenario")
    _resolve_trace_files(data, path.parent)
    return data, str(path)


def _resolve_trace_files(data: dict, base: Path) -> None:
    """An ns2_trace model's relative ``file`` is taken from the scenario file's directory."""
    mh = data.get("mobile_hosts")
    groups = mh.get("groups") if isinstance(mh, dict) else None
    models = [data.get("mobility")] + [g.get("mobility") for g in groups or [] if isinstance(g, dict)]
    for m in models:
        if (isinstance(m, dict) and m.get("model") == "ns2_trace" and isinstance(m.get("file"), str)
                and m["file"] and not Path(m["file"]).expanduser().is_absolute()):
            try:
                m["file"] = str((base / m["file"]).resolve())
            except (OSError, ValueError):  # a NUL in the name, a symlink loop: validation says so
                pass


MAX_FILE_BYTES = 4 * 1024 * 1024  # a scenario, sweep or users file is text of a few kilobytes
# Tables and arrays nested in one another: a scenario needs 7 levels (mobile_hosts.groups[0]
# .mobility.waypoints_m[0]); deeper input would exhaust the stack of the parser or the checks.
MAX_NESTING = 32


def nesting_problem(value: Any, what: str) -> str | None:
    """A line saying where ``value`` nests tables and arrays more than MAX_NESTING levels deep, or
    None. Iterative: a value nested 10,000 levels deep (or one that holds itself) is no trouble."""
    todo: list[tuple[Any, int, tuple]] = [(value, 1, ())]
    while todo:
        v, depth, path = todo.pop()
        if not isinstance(v, (dict, list, tuple)):
            continue
        items = v.items() if isinstance(v, dict) else enumerate(v)
        if depth > MAX_NESTING:
            where = f" (at {cut('.'.join(path), 80)})" if path else ""
            return f"{what}: tables and arrays nested more than {MAX_NESTING} levels deep{where}"
        todo.extend((x, depth + 1, path + (str(k),)) for k, x in items
                    if isinstance(x, (dict, list, tuple)))
    return None


def _toml_loads(text: str, what: str) -> dict:
    """``tomllib.loads`` with its every failure a one-line ScenarioError naming ``what``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([f"{what} is not valid TOML: {e}"]) from None
    except RecursionError:
        raise ScenarioError([f"{what}: tables and arrays nested more than {MAX_NESTING} levels"
                             " deep"]) from None
    except ValueError:  # an integer of more than 4300 digits
        raise ScenarioError([f"{what}: an integer of more than 4300 digits; TOML integers are"
                             " 64-bit"]) from None
    problem = nesting_problem(data, what)
    if problem:
        raise ScenarioError([problem])
    return data


def parse_toml_file(path: Path, what: str) -> dict:
    """A TOML file as a dict, read from a regular file with a size limit (``/dev/zero`` and FIFOs
    are refused before a byte is read); every failure is a one-line ScenarioError naming ``what``."""
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except FileProblem as e:
        hint = "; TOML text of a few kilobytes expected" if e.too_large else ""
        raise ScenarioError([f"{what}: {e}{hint}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError([f"{what}: {cut(path)} is not UTF-8 text (byte {e.start}); TOML"
                             " expected"]) from None
    return _toml_loads(text, f"{what}: {cut(path)}")


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``; VALUE is read as a TOML value, else taken as a string."""
    if "=" not in item:
        raise ScenarioError([f"--set {cut(item)}: expected KEY=VALUE, e.g. mobility.speed_mps=10"])
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError([f"--set {cut(item)}: KEY must be a dotted path such as wifi.channel"])
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise ScenarioError([f"--set {cut(key)}: VALUE nests arrays or tables more than"
                             f" {MAX_NESTING} levels deep"]) from None
    except ValueError:  # an integer of more than 4300 digits
        raise ScenarioError([f"--set {cut(key)}: VALUE is an integer of more than 4300 digits;"
                             " TOML integers are 64-bit"]) from None
    problem = nesting_problem(value, f"--set {cut(key)}: VALUE")
    if problem:
        raise ScenarioError([problem])
    return key, value


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a field annotation."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif _is_union(tp) and len([a for a in get_args(tp) if a is not type(None)]) == 1:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _models_in(tp: Any) -> list[type[BaseModel]]:
    """The pydantic models a field may hold (several for a discriminated union)."""
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if _is_union(tp):
        return [a for a in get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
    return []


def check_override_path(data: dict, key: str) -> None:
    """Raise ScenarioError unless ``key`` names a field of the scenario schema.

    Maps of named things (``nodes``, ``domains``, ...) need an existing name at that level;
    fields of models may be absent from the file (their default is then overridden).
    """
    parts = key.split(".")
    model: Any = Scenario
    raw: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        models = _models_in(model)
        if models:
            candidates = models
            if len(models) > 1 and isinstance(raw, dict) and "model" in raw:
                candidates = [m for m in models
                              if m.model_fields.get("model") is not None
                              and raw["model"] in get_args(_unwrap(m.model_fields["model"].annotation))
                              ] or models
            fields = {}
            for m in candidates:
                fields.update(m.model_fields)
            if part not in fields:
                raise ScenarioError([
                    f"--set {cut(key)}: {shown(here)} is not a scenario field; allowed at this"
                    f" level: {', '.join(sorted(fields))}"
                ])
            model = fields[part].annotation
            raw = raw.get(part) if isinstance(raw, dict) else None
            continue
        origin = get_origin(_unwrap(model))
        if origin is dict:
            names = raw if isinstance(raw, dict) else {}
            if part not in names:
                raise ScenarioError([
                    f"--set {cut(key)}: no entry {shown(part)} under {shown('.'.join(parts[:i]))};"
                    f" existing: {cut(', '.join(sorted(map(str, names))), 2000) or '(none)'}"
                ])
            model = get_args(_unwrap(model))[1]
            raw = names[part]
            continue
        if origin in (list, tuple):
            size = len(raw) if isinstance(raw, list) else 0
            allowed = f"0 to {size - 1}" if size else "none: the list is empty or absent"
            # ASCII digits only ('²'.isdigit() is true), and few of them (int() of 5000 digits
            # raises).
            if not (part.isascii() and part.isdigit()):
                raise ScenarioError([f"--set {cut(key)}: {shown('.'.join(parts[:i]))} is a list;"
                                     f" the next part is an index ({allowed}), got {shown(part)}"])
            if len(part) > 9 or int(part) >= size:
                raise ScenarioError([f"--set {cut(key)}: index {shown(part)} is out of range"
                                     f" ({allowed})"])
            args = get_args(_unwrap(model))
            model = args[0] if args else Any
            raw = raw[int(part)]
            continue
        raise ScenarioError([
            f"--set {cut(key)}: {shown('.'.join(parts[:i]))} is a value, it has no field {shown(part)}"
        ])


def apply_overrides(data: dict, overrides: list[str] | dict[str, Any]) -> dict:
    """Return a copy of ``data`` with each ``KEY=VALUE`` override applied by dotted path."""
    for what, value in (("scenario", data), *((f"--set {cut(k)}: VALUE", v) for k, v in
                                               (overrides.items() if isinstance(overrides, dict) else ()))):
        problem = nesting_problem(value, what)
        if problem:
            raise ScenarioError([problem])
    out = copy.deepcopy(data)
    items = overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides)
    for key, value in items:
        check_override_path(out, key)
        parts = key.split(".")
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list) and part.isascii() and part.isdigit() and len(part) <= 9:
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
            else:
                # A value set in place of the table this path goes through.
                here = ".".join(parts[:i])
                raise ScenarioError([
                    f"--set {cut(key)}: {shown(here)} is {shown(node)}, not a table; set it"
                    f" as a table (e.g. {cut(here)}={{...}}) or its fields only"])
    return out


def _format_loc(loc: tuple) -> str:
    # Drop pydantic's union tags (e.g. 'waypoints' for the mobility union) from the path; a key
    # that is no plain name is shown quoted.
    parts = []
    for p in loc:
        if isinstance(p, str) and p in MOBILITY_MODELS and parts and parts[-1] == "mobility":
            continue
        parts.append(cut(str(p), 64) if _PLAIN_KEY.match(str(p)) else shown(p, 64))
    return ".".join(parts)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _allowed_at(loc: tuple) -> list[str]:
    """The field names of the model at ``loc`` (a pydantic error location), if it is one."""
    model: Any = Scenario
    for part in loc:
        models = _models_in(model)
        if models:
            if isinstance(part, str) and part in MOBILITY_MODELS and len(models) > 1:
                model = next((m for m in models
                              if part in get_args(_unwrap(m.model_fields["model"].annotation))), None)
                if model is None:
                    return []
                continue
            fields: dict = {}
            for m in models:
                fields.update(m.model_fields)
            if part not in fields:
                return []
            model = fields[part].annotation
            continue
        args = get_args(_unwrap(model))
        if get_origin(_unwrap(model)) is dict and args:
            model = args[1]
        elif get_origin(_unwrap(model)) in (list, tuple) and args:
            model = args[0]
        else:
            return []
    fields = {}
    for m in _models_in(model):
        fields.update(m.model_fields)
    return sorted(fields)


def format_validation_error(err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors(include_url=False):
        loc = _format_loc(tuple(e["loc"]))
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "extra_forbidden":
            allowed = _allowed_at(tuple(e["loc"])[:-1])
            lines.append(f"{loc}: unknown field; check the spelling (see docs/scenario.md)"
                         + (f"; allowed here: {', '.join(allowed)}" if allowed else ""))
        elif e["type"] == "bool_type":
            lines.append(f"{loc}: true or false only (a TOML boolean; not a number or a string)"
                         f" (got {shown(e.get('input'))})")
        elif e["type"] == "missing":
            lines.append(f"{loc}: required field is missing")
        elif e["type"] == "union_tag_invalid":
            lines.append(f"{loc}.model: must be one of {', '.join(MOBILITY_MODELS)};"
                         f" got {e.get('input', {}).get('model')!r}" if isinstance(e.get("input"), dict)
                         else f"{loc}: {msg}")
        elif e["type"] == "union_tag_not_found":
            lines.append(f"{loc}.model: required; one of {', '.join(MOBILITY_MODELS)}")
        elif msg.startswith("@"):
            # "@field: ..." lines name a field of the model at ``loc``.
            lines.extend(f"{loc}.{m[1:]}" if loc else m[1:] for m in msg.split(PROBLEM_SEPARATOR))
        elif PROBLEM_SEPARATOR in msg or e["type"] == "value_error" and loc == "":
            # Cross-field problems already carry their own paths.
            lines.extend(msg.split(PROBLEM_SEPARATOR))
        else:
            got = e.get("input")
            got_text = ("" if isinstance(got, (dict, list)) or e["type"] == "value_error"
                        else f" (got {shown(got)})")
            if loc and msg.startswith(loc + "."):
                lines.append(msg)  # the message already names the field below this location
            else:
                lines.append(f"{loc}: {msg}{got_text}" if loc else msg)
    return lines


# Tables that others refer to: setting one aside would invent problems in the others.
_STRUCTURE = {"subnets", "domains", "nodes", "hosts", "backbone", "mobility", "failures"}


def validate_dict(data: dict) -> Scenario:
    """Validate a scenario dict; every problem is a line of the ScenarioError, at once.

    pydantic checks the references between tables only once every field is valid. So that a file
    with a bad field and a bad reference hears of both, configuration sections with field errors
    (simulation, wifi, mmp, ...; not the tables others refer to) are set aside and the rest is
    checked again; the cross-check lines about other tables are added."""
    if not isinstance(data, dict):
        raise ScenarioError([f"scenario: a table of tables expected, got {type(data).__name__}"])
    problem = nesting_problem(data, "scenario")
    if problem:
        raise ScenarioError([problem])
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        lines = format_validation_error(e)
        bad = {str(x["loc"][0]) for x in e.errors() if x["loc"]}
        if bad and not (bad & _STRUCTURE):
            try:
                Scenario.model_validate({k: v for k, v in data.items() if k not in bad})
            except ValidationError as e2:
                # Without its mobile_hosts table, a scenario whose hosts come in groups seems
                # to lack a mobility model: not a problem of the file.
                grouped = isinstance(data.get("mobile_hosts"), dict) and "groups" in data["mobile_hosts"]
                lines += [ln for ln in format_validation_error(e2)
                          if ln not in lines and ln.split(".")[0].split(":")[0] not in bad
                          and not (grouped and ln.startswith("mobility:"))]
        raise ScenarioError(lines) from None


def load_scenario(source: str | Path = DEFAULT_SCENARIO,
                  overrides: list[str] | dict[str, Any] | None = None) -> Scenario:
    """Load a scenario file or built-in name, apply ``--set`` overrides, validate."""
    data, _ = read_scenario_dict(source)
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_dict(data)
