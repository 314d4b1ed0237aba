"""config/env.py, .env.example and docs/configuration.md name the same settings with the same defaults.

The names and defaults are read from env.py's source (every `_env.<kind>("NAME", default=...)` and
`_str("NAME", default)` call, the defaults evaluated in the module's namespace), so a setting added
or changed in one place and not the others fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import config.env

ROOT = Path(__file__).resolve().parents[2]
# Required service URLs: .env.example shows a local example, the code has no default.
EXAMPLE_ONLY = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PULSE_URL"}
# Read by the process scripts, not by the Django settings.
SCRIPT_SETTINGS_FILES = ["Procfile", "Procfile.quickstart", "bin/run", "bin/lib/common.sh"]


def _code_defaults() -> dict[str, Any]:
    tree = ast.parse(Path(config.env.__file__).read_text())
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        func = node.func
        is_env = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "_env"
        is_str = isinstance(func, ast.Name) and func.id == "_str"
        if not (is_env or is_str):
            continue
        default: ast.expr | None = next((k.value for k in node.keywords if k.arg == "default"), None)
        if default is None and is_str and len(node.args) > 1:
            default = node.args[1]
        value = eval(compile(ast.Expression(default), "env.py", "eval"), vars(config.env)) if default else ""  # noqa: S307 - our own source
        found[str(node.args[0].value)] = value
    return found


def _text(value: Any) -> str:
    """A default as the environment would spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    text = str(value)
    base = str(config.env.BASE_DIR) + "/"
    return "./" + text[len(base) :] if text.startswith(base) else text


def _same(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def _example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]*) \|", (ROOT / "docs/configuration.md").read_text(), re.M)
    return {name: cell.strip() for name, cell in rows}


def test_the_three_name_the_same_settings() -> None:
    code, example, documented = _code_defaults(), _example(), _documented()

    assert set(example) == set(documented)
    assert set(code) <= set(example), f"read by config/env.py, missing from .env.example: {set(code) - set(example)}"
    scripts = "\n".join((ROOT / name).read_text() for name in SCRIPT_SETTINGS_FILES)
    for name in set(example) - set(code):
        assert name in scripts, f"{name} is in .env.example but nothing reads it"


def test_the_three_give_the_same_defaults() -> None:
    code, example, documented = _code_defaults(), _example(), _documented()

    for name, value in example.items():
        default = _text(code[name]) if name in code else value
        if name in EXAMPLE_ONLY:
            assert default == "", f"{name}: a required service URL has no default"
        else:
            assert _same(value, default), f".env.example {name}={value}, config/env.py default {default!r}"
        cell = documented[name]
        literal = re.fullmatch(r"`([^`]*)`", cell)
        if literal:
            assert _same(literal.group(1), default), f"docs/configuration.md {name}: {cell}, default {default!r}"
        elif cell.startswith("empty"):
            assert default == "", f"docs/configuration.md {name}: {cell}, default {default!r}"
