"""Strict reading of the YAML files users write: one clear ConfigError naming file, field and value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from devices.errors import ConfigError, Described
from devices.userfiles import NotARegularFile, read_bounded

M = TypeVar("M", bound=BaseModel)

# A rig, profile, session.yaml or revision is a few KiB (the largest shipped is under 10 KiB):
# 1 MiB is far past any real one and still read and parsed in well under a second.
MAX_YAML_BYTES = 1 << 20
# Aliases may repeat a part of the document, not multiply it: 1.4 KB of nested aliases ("billion
# laughs") stands for 10^9 nodes. Past this many nodes added by aliases the file is refused before
# anything is built from it.
MAX_ALIAS_NODES = 10_000
# The deepest shipped file nests 5 levels; PyYAML composes recursively, so depth is bounded first.
MAX_NESTING = 64

_TYPE_LABEL = re.compile(r"^(constrained-\w+|literal\[.*\]|function-\w+.*|int|float|str|bool|list\[.*\]|dict\[.*\])$")


class Strict(BaseModel):
    """Base for every model read from a user's file: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class _Refused(yaml.YAMLError):
    """A document that parses but is not allowed (a duplicate key, aliases past the bound)."""

    def __init__(self, line: int, value: Any, allowed: str) -> None:
        super().__init__(allowed)
        self.line, self.value, self.allowed = line, value, allowed


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader (no tags that run code) that also refuses duplicate keys (PyYAML keeps the
    last one silently) and bounds what aliases expand to before constructing anything."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                mark = self.peek_event().start_mark
                raise _Refused(mark.line + 1, Described(f"nesting deeper than {MAX_NESTING} levels"),
                               f"a file may nest at most {MAX_NESTING} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_alias_growth(node)
        return self.construct_document(node)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base` then a key of its own is an override, not a duplicate
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first_line.get(key)
                except TypeError:
                    continue  # an unhashable key: SafeLoader refuses it with its own message
                line = key_node.start_mark.line + 1
                if seen is not None:
                    raise _Refused(line, key, f"the key appears twice in one mapping (first at line {seen}); "
                                              "each key may appear once")
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return, arg-type]


def _check_alias_growth(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases add more than MAX_ALIAS_NODES nodes, or that refers to itself.

    Each distinct node's expanded size is computed once (iteratively: no recursion to overflow), so
    the check costs the size of the file, not of the expansion."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    distinct = 0
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused(node.start_mark.line + 1, Described("an alias"),
                           "an alias may not refer to the node that holds it")
        on_path.add(key)
        distinct += 1
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    added = size[id(root)] - distinct
    if added > MAX_ALIAS_NODES:
        raise _Refused(1, Described(f"aliases standing for {added:,} nodes"),
                       f"aliases may add at most {MAX_ALIAS_NODES:,} nodes to a document")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def read_yaml(path: str | Path) -> Any:
    """Load one YAML document safely; a missing, unreadable, oversized or malformed file, a duplicate
    key or aliases past the bound is a ConfigError. Only a regular file is opened (a FIFO or a device
    named as a rig would block or never end), and the error never quotes the file's content."""
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_YAML_BYTES)
    except NotARegularFile as exc:
        raise ConfigError(path, "", Described(exc.found), exc.allowed) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", Described(f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"),
                          "the file must be UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 -- a SafeLoader subclass
    except _Refused as exc:
        raise ConfigError(path, f"line {exc.line}", exc.value, exc.allowed) from None
    except RecursionError:
        raise ConfigError(path, "", Described("the nesting"), "the file nests deeper than a YAML file here may") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(path, where, Described(problem), "the file must be valid YAML") from None


_KIND_OF = {"str": "plain text", "list": "a list", "int": "a number", "float": "a number", "bool": "a yes/no"}


def parse(model: type[M], data: Any, file: str | Path | None) -> M:
    """Validate data against a strict model; the first problem becomes one ConfigError."""
    if not isinstance(data, dict):
        # Whatever the file held instead (a line of /etc/passwd read as one string) is not echoed.
        kind = "nothing" if data is None else _KIND_OF.get(type(data).__name__, "a single value")
        raise ConfigError(file, "", Described(kind), "the file must hold a mapping of keys (`key: value` lines)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise config_error_from(exc, model, file) from exc


def load(model: type[M], path: str | Path) -> M:
    """Read a YAML file and validate it against a strict model."""
    return parse(model, read_yaml(path), path)


def config_error_from(exc: ValidationError, model: type[BaseModel], file: str | Path | None) -> ConfigError:
    """Turn pydantic's first error into the studio's one-line form."""
    err = exc.errors()[0]
    raw_loc = tuple(err.get("loc", ()))
    loc = _without_union_tags(model, raw_loc)
    field = dotted(loc)
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = _model_at(model, raw_loc[:-1])
        known = ", ".join(owner.model_fields) if owner is not None else ""
        allowed = f"unknown key; allowed keys: {known}" if known else "unknown key"
        return ConfigError(file, field, loc[-1] if loc else None, allowed)
    if kind == "missing":
        return ConfigError(file, field, None, "this field is required")
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "")).strip("'")
        return ConfigError(file, f"{field}.{key}" if field else key, ctx.get("tag"),
                           f"allowed: {ctx.get('expected_tags')}")
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    return ConfigError(file, field, err.get("input"), message[:1].lower() + message[1:])


def dotted(loc: tuple[Any, ...]) -> str:
    """Render a location such as ("units", 2, "wire") as units[2].wire."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _without_union_tags(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic puts a tagged union's tag in the location ("interface.sim.x"); the user wrote "interface.x"."""
    kept = [part for part, is_tag in _walk(model, loc) if not is_tag]
    # past the last model, pydantic names the member of a plain union it tried ("constrained-int")
    return tuple(p for p in kept if not (isinstance(p, str) and _TYPE_LABEL.match(p)))


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that owns a location, to list its allowed keys."""
    current: Any = model
    for _part, _is_tag, owner in _walk(model, loc, with_owner=True):
        current = owner
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _walk(model: type[BaseModel], loc: tuple[Any, ...], with_owner: bool = False):  # type: ignore[no-untyped-def]
    """Follow a location through the models, telling which parts are union tags."""
    members: list[type[BaseModel]] = [model]
    for part in loc:
        is_tag = False
        nxt: list[type[BaseModel]] = members
        if isinstance(part, str):
            if len(members) > 1:
                tagged = [m for m in members if _tag_of(m) == part]
                if tagged:
                    is_tag, nxt = True, tagged
            if not is_tag and members:
                info = members[0].model_fields.get(part)
                nxt = _models_in(info.annotation) if info is not None else []
        owner = nxt[0] if len(nxt) == 1 else None
        members = nxt
        yield (part, is_tag, owner) if with_owner else (part, is_tag)


def _tag_of(model: type[BaseModel]) -> str | None:
    for name in ("backend", "kind"):
        info = model.model_fields.get(name)
        args = getattr(info.annotation, "__args__", None) if info is not None else None
        if args and len(args) == 1 and isinstance(args[0], str):
            return args[0]
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    return found
