"""Loading YAML configs into validated pydantic models, with errors that name file, field and allowed range."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from protocols.errors import ConfigError

M = TypeVar("M", bound=pydantic.BaseModel)


class StrictModel(pydantic.BaseModel):
    """Base for every config model: unknown keys are errors, values are frozen once validated."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


def read_yaml(path: str | Path) -> Any:
    """Parse one YAML file with safe_load; a syntax error becomes a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file ({e.strerror})") from e
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e


def format_validation_error(source: str, err: pydantic.ValidationError) -> str:
    """Render a pydantic error as 'source: field.path: message (got value)' lines."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "<root>"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling and the units suffix)"
        ctx = e.get("ctx") or {}
        bounds = ", ".join(f"{k} {v}" for k, v in ctx.items() if k in ("ge", "gt", "le", "lt"))
        got = e.get("input")
        detail = f"{msg}" + (f"; allowed range: {bounds}" if bounds and "range" not in msg else "")
        if got is not None and e["type"] != "missing":
            detail += f" (got {got!r})"
        lines.append(f"{source}: {loc}: {detail}")
    return "\n".join(lines)


def validate(model: type[M], data: Any, source: str = "<config>") -> M:
    """Validate already-parsed data into `model`, raising ConfigError naming `source` and each bad field."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as e:
        raise ConfigError(format_validation_error(source, e)) from e


def load_config(path: str | Path, model: type[M]) -> M:
    """Load a YAML file into `model`; every problem is a ConfigError naming the file and the field."""
    return validate(model, read_yaml(path), source=str(path))
