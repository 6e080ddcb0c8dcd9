"""Generated fast paths for wire structs: one straight-line function per struct for check, encode and decode.

Why: a generic loop that calls one method per field costs several µs per small message, which is most of a
command round trip. The generated code only tests the happy path (types and ranges inline); on any doubt it
falls back to the generic field methods, which raise the precise FrameRejected. So errors and accepted
values are exactly those of the generic path (the codec tests and the fuzz test run through this code).
"""

from __future__ import annotations

from typing import Any, Callable

from protocols.wire.wiretypes import _PACKED, Enum, Float, Int, Str, Tagged, WireStruct, struct_from_wire


def _simple_cond(var: str, t: Any, env: dict[str, Any], limit_var: str | None) -> str | None:
    """An inline condition that holds iff the value is valid for `t` (None if `t` needs its own method)."""
    if isinstance(t, Int):
        return f"type({var}) is int and {t.lo} <= {var} <= {t.hi}"
    if isinstance(t, Float):
        return f"type({var}) is float" + (f" and 0.0 < {var} < _INF" if t.positive else "")
    if isinstance(t, Enum):
        return None  # handled by the caller: needs a conversion
    if isinstance(t, Str):
        parts = [f"type({var}) is str"]
        if t.max_bytes is not None or limit_var:
            cap = str(t.max_bytes) if limit_var is None else (
                limit_var if t.max_bytes is None else f"min({limit_var}, {t.max_bytes})")
            parts.append(f"len({var}) * 4 <= {cap}")
        if t.choices:
            env[f"_C_{var}"] = frozenset(t.choices)
            parts.append(f"{var} in _C_{var}")
        if t.pattern is not None:
            env[f"_P_{var}"] = t.pattern.fullmatch
            parts.append(f"_P_{var}({var}) is not None")
        return " and ".join(parts)
    return None


def compile_struct(cls: type[WireStruct], extra: dict[str, Any] | None = None,
                   pack: Callable[[Any], bytes] | None = None) -> tuple[Callable, Callable, Callable]:
    """(check(obj), to_wire(obj) -> dict, from_wire(raw, path, limits) -> obj) for `cls`.

    `extra` = constant leading entries of the wire map (the envelope's v and kind) for to_wire; with `pack`,
    to_wire returns pack(that map) (one call less per frame for a sender).
    """
    fields = cls.wire_fields()
    env: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_slow": struct_from_wire, "_INF": float("inf")}
    for i, (name, t) in enumerate(fields):
        env[f"_T{i}"] = t
    names = [f"f{i}" for i in range(len(fields))]

    # check(obj): after construction
    chk = ["def check(obj):", "    d = obj.__dict__"]
    for i, (name, t) in enumerate(fields):
        v = names[i]
        chk.append(f"    {v} = d[{name!r}]")
        if isinstance(t, Enum):
            env[f"_E{i}"] = t.cls
            chk.append(f"    if type({v}) is not _E{i}: _T{i}.check({v}, {name!r})")
            continue
        cond = _simple_cond(v, t, env, None)
        if cond is None:
            chk.append(f"    _T{i}.check({v}, {name!r})")
        else:
            chk.append(f"    if not ({cond}): _T{i}.check({v}, {name!r})")
    if cls._finish is not WireStruct._finish:  # only structs with cross-field checks pay for the call
        chk.append("    obj._finish('')")

    # to_wire(obj) -> dict
    head = "".join(f"{k!r}: {v!r}, " for k, v in (extra or {}).items())
    items, pre = [], []
    for i, (name, t) in enumerate(fields):
        if isinstance(t, (Int, Float, Str, Enum)):  # msgpack packs IntEnum members as plain ints
            items.append(f"{name!r}: d[{name!r}]")
        elif isinstance(t, Tagged):  # an immutable choice's packed form, inline (see Tagged.to_wire)
            env["_PACKED"] = _PACKED
            pre += [f"    t{i} = d[{name!r}]", f"    p{i} = t{i}.__dict__.get(_PACKED)",
                    f"    t{i} = p{i} if p{i} is not None else _T{i}.to_wire(t{i})"]
            items.append(f"{name!r}: t{i}")
        else:
            items.append(f"{name!r}: _T{i}.to_wire(d[{name!r}])")
    body = "{" + head + ", ".join(items) + "}"
    if pack is not None:
        env["_pack"] = pack
        body = f"_pack({body})"
    enc = ["def to_wire(obj):", "    d = obj.__dict__", *pre, "    return " + body]

    # from_wire(raw, path, limits)
    dec = ["def from_wire(raw, path, limits):",
           f"    if type(raw) is dict and len(raw) == {len(fields)}:",
           "        _ls = limits.max_string_bytes",
           "        try:"]
    dec += [f"            {names[i]} = raw[{name!r}]" for i, (name, _) in enumerate(fields)]
    dec += ["        except KeyError:", "            pass", "        else:"]
    conds, converts = [], []
    for i, (name, t) in enumerate(fields):
        v = names[i]
        if isinstance(t, Enum):
            env[f"_M{i}"] = {m.value: m for m in t.cls}
            conds.append(f"type({v}) is int and {v} in _M{i}")
            converts.append(f"{v} = _M{i}[{v}]")
            continue
        cond = _simple_cond(v, t, env, "_ls")
        if cond is None:
            converts.append(f"{v} = _T{i}.from_wire({v}, path + {name!r}, limits)")
        else:
            conds.append(cond)
    dec.append("            if " + (" and ".join(f"({c})" for c in conds) or "True") + ":")
    dec += [f"                {c}" for c in converts]
    dec += ["                obj = _new(_cls)",
            "                obj.__dict__.update({" + ", ".join(f"{name!r}: {names[i]}" for i, (name, _) in enumerate(fields)) + "})"]
    if cls._finish is not WireStruct._finish:
        dec.append("                obj._finish(path)")
    dec += ["                return obj",
            "    return _slow(_cls, raw, path, limits)"]

    source = "\n".join(chk + [""] + enc + [""] + dec) + "\n"
    exec(compile(source, f"<wire struct {cls.__name__}>", "exec"), env)  # noqa: S102 - generated from our own schema
    return env["check"], env["to_wire"], env["from_wire"]
