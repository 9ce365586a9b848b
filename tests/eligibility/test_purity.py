"""The rules engine stays pure: no I/O libraries imported, no eval or exec."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import shared.eligibility.rules

RULES = Path(shared.eligibility.rules.__file__).parent
FORBIDDEN = {"sqlalchemy", "httpx", "redis", "arq", "fastapi", "starlette", "asyncpg", "requests"}


def test_importing_the_rules_loads_no_io_library() -> None:
    code = (
        "import json, sys\n"
        "import shared.eligibility.rules, shared.eligibility.rules.rulesets\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        text=True,
        cwd=RULES.parents[2],
    )
    assert FORBIDDEN.isdisjoint(json.loads(loaded.stdout))


def test_no_dynamic_code_execution() -> None:
    for path in RULES.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__"}, path
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names]
                module = getattr(node, "module", None) or ""
                roots = {name.split(".")[0] for name in [*names, module] if name}
                assert FORBIDDEN.isdisjoint(roots), path
