"""Strict reading of the YAML files users write: one clear ConfigError naming file, field and value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from devices.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

_TYPE_LABEL = re.compile(r"^(constrained-\w+|literal\[.*\]|function-\w+.*|int|float|str|bool|list\[.*\]|dict\[.*\])$")


class Strict(BaseModel):
    """Base for every model read from a user's file: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


def read_yaml(path: str | Path) -> Any:
    """Load one YAML document safely; a missing, unreadable or malformed file is a ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", str(path), "the file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", str(path), f"the file must be readable UTF-8 text ({exc})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "document"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(path, where, problem, "the file must be valid YAML") from exc


def parse(model: type[M], data: Any, file: str | Path | None) -> M:
    """Validate data against a strict model; the first problem becomes one ConfigError."""
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
