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

from .errors import PROBLEM_SEPARATOR, ScenarioError
from .schema import MOBILITY_MODELS, Scenario

BUILTIN_SCENARIOS = ("patent-walk", "redundancy", "crowd")
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
                f"scenario: no file {src!r} and no built-in scenario of that name;"
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
            m["file"] = str((base / m["file"]).resolve())


MAX_FILE_BYTES = 4 * 1024 * 1024  # a scenario or sweep file is text of a few kilobytes


def parse_toml_file(path: Path, what: str) -> dict:
    """A TOML file as a dict, read with a size limit (``/dev/zero`` ends with an error, not when
    memory does); every failure is a one-line ScenarioError naming ``what``."""
    try:
        if path.is_dir():
            raise ScenarioError([f"{what}: {path} is a directory, not a file"])
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ScenarioError([f"{what}: cannot read {path}: {e.strerror}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"{what}: {path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB;"
                             " a scenario file is TOML text of a few kilobytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError([f"{what}: {path} is not UTF-8 text (byte {e.start}); TOML expected"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([f"{what}: {path} is not valid TOML: {e}"]) from None


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``; VALUE is read as a TOML value, else taken as a string."""
    if "=" not in item:
        raise ScenarioError([f"--set {item}: expected KEY=VALUE, e.g. mobility.speed_mps=10"])
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError([f"--set {item}: KEY must be a dotted path such as wifi.channel"])
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
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
                    f"--set {key}: {here!r} is not a scenario field; allowed at this level:"
                    f" {', '.join(sorted(fields))}"
                ])
            model = fields[part].annotation
            raw = raw.get(part) if isinstance(raw, dict) else None
            continue
        origin = get_origin(_unwrap(model))
        if origin is dict:
            names = raw if isinstance(raw, dict) else {}
            if part not in names:
                raise ScenarioError([
                    f"--set {key}: no entry {part!r} under {'.'.join(parts[:i])!r}; existing:"
                    f" {', '.join(sorted(names)) or '(none)'}"
                ])
            model = get_args(_unwrap(model))[1]
            raw = names[part]
            continue
        if origin in (list, tuple) and part.isdigit():
            args = get_args(_unwrap(model))
            model = args[0] if args else Any
            raw = raw[int(part)] if isinstance(raw, list) and int(part) < len(raw) else None
            if raw is None:
                raise ScenarioError([f"--set {key}: index {part} is out of range"])
            continue
        raise ScenarioError([
            f"--set {key}: {'.'.join(parts[:i])!r} is a value, it has no field {part!r}"
        ])


def apply_overrides(data: dict, overrides: list[str] | dict[str, Any]) -> dict:
    """Return a copy of ``data`` with each ``KEY=VALUE`` override applied by dotted path."""
    out = copy.deepcopy(data)
    items = overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides)
    for key, value in items:
        check_override_path(out, key)
        parts = key.split(".")
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                node = node[int(part)]
            else:
                node = node.setdefault(part, {})
            if not isinstance(node, (dict, list)):
                raise ScenarioError([
                    f"--set {key}: {'.'.join(parts[:i + 1])!r} is {node!r}, not a table; set it"
                    f" as a table (e.g. {'.'.join(parts[:i + 1])}={{...}}) or its fields only"])
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    return out


def _format_loc(loc: tuple) -> str:
    # Drop pydantic's union tags (e.g. 'waypoints' for the mobility union) from the path; a key
    # that is no plain name is shown quoted.
    parts = []
    for p in loc:
        if isinstance(p, str) and p in MOBILITY_MODELS and parts and parts[-1] == "mobility":
            continue
        parts.append(str(p) if _PLAIN_KEY.match(str(p)) else repr(p))
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
            shown = ("" if isinstance(got, (dict, list)) or e["type"] == "value_error"
                     else f" (got {got!r})")
            if loc and msg.startswith(loc + "."):
                lines.append(msg)  # the message already names the field below this location
            else:
                lines.append(f"{loc}: {msg}{shown}" if loc else msg)
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
