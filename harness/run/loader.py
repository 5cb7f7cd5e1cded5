"""Scenario files: the YAML format and its validation.

Validation walks PyYAML's node tree rather than plain Python values, so every error can name the
``file:line:column`` of the offending node, the step, and what was allowed there. Which steps exist and what
each accepts is the step registry's (:data:`harness.run.steps.STEPS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ScenarioError
from harness.run.scenario import CANARY, CANARY_KINDS, REFERENCE, Location, Scenario, Secret, Step, is_absolute, is_path
from harness.run.steps import STEPS, StepSchema

TOP_LEVEL_KEYS = ("name", "start", "viewport", "secrets", "site_api", "silent", "steps")
REQUIRED_TOP_LEVEL = ("name", "start", "steps")
DEFAULT_VIEWPORT = (1280, 720)

TYPE_DESCRIPTIONS: dict[str, str] = {
    "string": "a string",
    "url": "an http(s) URL, or a path starting with / (resolved against the base URL)",
    "ms": "a whole number of milliseconds (0 or more)",
    "px": "a number of pixels",
    "count": "a whole number from 1 to 1000",
    "bool": "true or false",
    "button": "one of left, right, middle",
    "point": "a mapping {x: number, y: number}",
    "path": "a list of at least two [x, y] points",
    "name": "a name of letters, digits, '-' and '_'",
    "close": "the word close",
}


# -- loading -------------------------------------------------------------------------------------------------------


def _loc(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar_value(node: yaml.Node) -> Any:
    """The Python value of a scalar node, with YAML 1.1's implicit types (ints, bools, ...)."""
    return yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = _scalar_value(node)
    if value is None:
        return "nothing"
    return f"{type(value).__name__.replace('str', 'string').replace('int', 'number')} {value!r}"


class _Loader:
    """Turns one file's node tree into a :class:`Scenario`, raising the first error with its location."""

    def __init__(self, file: str) -> None:
        self.file = file

    def mapping(self, node: yaml.Node, what: str) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise _loc(self.file, node).error(f"{what} must be a mapping, got {_describe(node)}")
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = _scalar_value(key_node)
            if not isinstance(key, str):
                raise _loc(self.file, key_node).error(f"{what}: keys must be strings, got {_describe(key_node)}")
            if key in seen:
                raise _loc(self.file, key_node).error(f"{what}: duplicate key '{key}'")
            seen.add(key)
            yield key, key_node, value_node

    def string(self, node: yaml.Node, what: str) -> str:
        value = _scalar_value(node)
        if not isinstance(value, str) or not value:
            raise _loc(self.file, node).error(f"{what} must be a non-empty string, got {_describe(node)}")
        return value

    def typed(self, node: yaml.Node, type_name: str, what: str) -> Any:
        """Check ``node`` against a type of :data:`TYPE_DESCRIPTIONS` and return its value."""
        fail = _loc(self.file, node).error(f"{what} must be {TYPE_DESCRIPTIONS[type_name]}, got {_describe(node)}")
        if type_name == "path":
            if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
                raise fail
            return [self.point_pair(item, what) for item in node.value]
        if type_name == "point":
            if not isinstance(node, yaml.MappingNode):
                raise fail
            point = {key: _scalar_value(value) for key, _, value in self.mapping(node, what)}
            if set(point) != {"x", "y"} or not all(_is_number(v) for v in point.values()):
                raise fail
            return point
        value = _scalar_value(node)
        checks: dict[str, Callable[[Any], bool]] = {
            "string": lambda v: isinstance(v, str) and v != "",
            "url": lambda v: isinstance(v, str) and (is_path(v) or is_absolute(v)),
            "ms": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "px": _is_number,
            "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1000,
            "bool": lambda v: isinstance(v, bool),
            "button": lambda v: v in ("left", "right", "middle"),
            "name": lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_-]+", v) is not None,
            "close": lambda v: v == "close",
        }
        if not checks[type_name](value):
            raise fail
        return value

    def point_pair(self, node: yaml.Node, what: str) -> tuple[float, float]:
        if isinstance(node, yaml.SequenceNode) and len(node.value) == 2:
            x, y = (_scalar_value(n) for n in node.value)
            if _is_number(x) and _is_number(y):
                return (float(x), float(y))
        raise _loc(self.file, node).error(f"{what}: each point must be [x, y] numbers, got {_describe(node)}")

    def step(self, node: yaml.Node, index: int) -> Step:
        location = _loc(self.file, node)
        if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
            raise location.error(
                f"step {index} must be a mapping with one key, the step's name, got {_describe(node)}; "
                f"allowed steps: {', '.join(STEPS)}"
            )
        key_node, value_node = node.value[0]
        kind = _scalar_value(key_node)
        if kind not in STEPS:
            raise _loc(self.file, key_node).error(
                f"step {index} {kind!r}: unknown step; allowed steps: {', '.join(STEPS)}"
            )
        schema = STEPS[kind].schema
        what = f"step {index} '{kind}'"
        args: dict[str, Any] = {}
        if isinstance(value_node, yaml.MappingNode):
            for key, k_node, v_node in self.mapping(value_node, what):
                if key not in schema.keys:
                    allowed = schema.allowed() or "no keys"
                    raise _loc(self.file, k_node).error(f"{what}: unknown key '{key}'; allowed: {allowed}")
                args[key] = self.typed(v_node, schema.keys[key], f"{what}: '{key}'")
        elif _scalar_value(value_node) is None and not isinstance(value_node, yaml.SequenceNode):
            if not schema.empty_ok:
                raise _loc(self.file, value_node).error(f"{what} needs a value; {self._usage(schema)}")
        elif schema.short is not None and isinstance(value_node, yaml.ScalarNode):
            (short_type,) = schema.short_types
            value = self.typed(value_node, short_type, what)
            if schema.short == "mode":
                args["close"] = True
            else:
                args[schema.short] = value
        else:
            raise _loc(self.file, value_node).error(f"{what}: got {_describe(value_node)}; {self._usage(schema)}")
        for required in schema.required:
            if required not in args:
                raise location.error(f"{what}: missing key '{required}'; {self._usage(schema)}")
        if schema.one_of and not any(k in args for k in schema.one_of):
            raise location.error(f"{what}: needs one of {', '.join(schema.one_of)}; {self._usage(schema)}")
        return Step(kind, args, location, index)

    @staticmethod
    def _usage(schema: StepSchema) -> str:
        forms = []
        if schema.short:
            forms.append(TYPE_DESCRIPTIONS[schema.short_types[0]])
        if schema.keys:
            forms.append(f"a mapping with keys {schema.allowed()}")
        if schema.empty_ok:
            forms.append("{}")
        return "expected " + " or ".join(forms)

    def secrets(self, node: yaml.Node) -> tuple[Secret, ...]:
        found: list[Secret] = []
        for name, key_node, value_node in self.mapping(node, "secrets"):
            location = _loc(self.file, key_node)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise location.error(f"secret name '{name}' must be letters, digits and '_'")
            shown = False
            if isinstance(value_node, yaml.MappingNode):
                fields = {k: (kn, vn) for k, kn, vn in self.mapping(value_node, f"secret '{name}'")}
                for key, (k_node, _) in fields.items():
                    if key not in ("value", "shown"):
                        raise _loc(self.file, k_node).error(
                            f"secret '{name}': unknown key '{key}'; allowed: shown, value"
                        )
                if "value" not in fields:
                    raise location.error(f"secret '{name}': missing key 'value'")
                template = self.string(fields["value"][1], f"secret '{name}': 'value'")
                if "shown" in fields:
                    shown = self.typed(fields["shown"][1], "bool", f"secret '{name}': 'shown'")
                value_node = fields["value"][1]
            else:
                template = self.string(value_node, f"secret '{name}'")
            for m in re.finditer(r"\{canary:([^}]*)\}", template):
                if m.group(1) not in CANARY_KINDS:
                    raise _loc(self.file, value_node).error(
                        f"secret '{name}': unknown canary kind '{m.group(1)}'; allowed: {', '.join(CANARY_KINDS)}"
                    )
            found.append(Secret(name, template, shown, location))
        return tuple(found)

    def site_api(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise _loc(self.file, node).error(f"site_api must be a list of 'METHOD URL' strings, got {_describe(node)}")
        calls: list[tuple[str, str]] = []
        for item in node.value:
            text = _scalar_value(item)
            parts = text.split() if isinstance(text, str) else []
            if len(parts) != 2 or not parts[0].isalpha() or not (is_path(parts[1]) or is_absolute(parts[1])):
                raise _loc(self.file, item).error(
                    "site_api entries must be 'METHOD URL' (e.g. 'POST https://shop.test/api/contact' or "
                    f"'GET /api/search*'), got {_describe(item)}"
                )
            calls.append((parts[0].upper(), parts[1]))
        return tuple(calls)

    def viewport(self, node: yaml.Node) -> tuple[int, int]:
        size = {key: (k, v) for key, k, v in self.mapping(node, "viewport")}
        for key, (k_node, _) in size.items():
            if key not in ("width", "height"):
                raise _loc(self.file, k_node).error(f"viewport: unknown key '{key}'; allowed: height, width")
        values = []
        for key in ("width", "height"):
            if key not in size:
                raise _loc(self.file, node).error(f"viewport: missing key '{key}'")
            value = _scalar_value(size[key][1])
            if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 4000:
                raise _loc(self.file, size[key][1]).error(
                    f"viewport: '{key}' must be a whole number from 100 to 4000, got {_describe(size[key][1])}"
                )
            values.append(value)
        return (values[0], values[1])

    def check_references(self, steps: tuple[Step, ...], declared: set[str]) -> None:
        for step in steps:
            for value in step.args.values():
                if not isinstance(value, str):
                    continue
                if CANARY.search(value):
                    raise step.location.error(
                        f"{step.describe()}: declare canaries under secrets: and use them as {{name}}"
                    )
                for m in REFERENCE.finditer(value):
                    if m.group(1) not in declared:
                        listed = ", ".join(sorted(declared)) or "none"
                        raise step.location.error(
                            f"{step.describe()}: unknown secret '{{{m.group(1)}}}'; declared secrets: {listed}"
                        )

    def scenario(self, root: yaml.Node | None) -> Scenario:
        if root is None:
            raise Location(self.file, 1, 1).error("empty file; expected a mapping with keys " + ", ".join(TOP_LEVEL_KEYS))
        fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, key_node, value_node in self.mapping(root, "a scenario"):
            if key not in TOP_LEVEL_KEYS:
                raise _loc(self.file, key_node).error(f"unknown key '{key}'; allowed: {', '.join(TOP_LEVEL_KEYS)}")
            fields[key] = (key_node, value_node)
        for required in REQUIRED_TOP_LEVEL:
            if required not in fields:
                raise _loc(self.file, root).error(f"missing required key '{required}'")
        name = self.string(fields["name"][1], "name")
        start = self.typed(fields["start"][1], "url", "start")
        viewport = self.viewport(fields["viewport"][1]) if "viewport" in fields else DEFAULT_VIEWPORT
        secrets = self.secrets(fields["secrets"][1]) if "secrets" in fields else ()
        site_api = self.site_api(fields["site_api"][1]) if "site_api" in fields else ()
        steps_node = fields["steps"][1]
        if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
            raise _loc(self.file, steps_node).error(f"steps must be a non-empty list, got {_describe(steps_node)}")
        steps = tuple(self.step(node, i) for i, node in enumerate(steps_node.value, start=1))
        self.check_references(steps, {s.name for s in secrets})
        start_at = _loc(self.file, fields["start"][1])
        silent = self.typed(fields["silent"][1], "bool", "silent") if "silent" in fields else False
        return Scenario(name, self.file, start, viewport, secrets, site_api, steps, start_at, silent)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raises :class:`ScenarioError` naming ``file:line:column``."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(file, 1, 1, f"cannot read file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ScenarioError(file, 1, 1, "not UTF-8 text") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ScenarioError(file, line, column, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(file, 1, 1, f"invalid YAML: {error}") from None
    return _Loader(file).scenario(root)


@dataclass
class ScenarioSet:
    """Scenario files found under some paths: the valid ones and the errors of the others."""

    scenarios: list[Scenario] = field(default_factory=list)
    errors: list[ScenarioError] = field(default_factory=list)


def scenario_files(paths: list[str] | list[Path]) -> list[Path]:
    """Scenario files named by ``paths`` (files, or folders searched for ``*.yaml``/``*.yml``)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            files.append(path)
    return files


def load_scenarios(paths: list[str] | list[Path]) -> ScenarioSet:
    """Load every scenario under ``paths``; a bad file is recorded, never stops the others."""
    found = ScenarioSet()
    for file in scenario_files(paths):
        try:
            found.scenarios.append(load_scenario(file))
        except ScenarioError as error:
            found.errors.append(error)
    return found
