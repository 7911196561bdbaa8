"""The code's shape, checked: where modules live and who may import whom (issue 6, points 13–15)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "oms_policy", "documents", "notifications", "support", "portal"}


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


COMMON_MODULES = sorted((ROOT / "common").glob("*.py"))


def test_common_holds_the_shared_helpers():
    """The helpers several apps use live in common/, not in portal/ (which imports those apps)."""
    import common.counters
    import common.tasking

    assert callable(common.counters.counter_hit)
    assert callable(common.tasking.enqueue_on_commit)
    assert not (ROOT / "portal" / "counters.py").exists()
    assert not (ROOT / "portal" / "tasking.py").exists()
    assert not (ROOT / "common" / "models.py").exists()


@pytest.mark.parametrize("path", COMMON_MODULES, ids=lambda path: path.name)
def test_common_imports_no_app(path):
    """common/ sits below every app: importing one from it would bring the cycle back."""
    apps_imported = {module for module in _imported_modules(path) if module.split(".")[0] in APPS}
    assert apps_imported == set()


def test_no_app_imports_portal():
    """portal is the project shell: it imports the apps, so no app may import it back."""
    offenders = []
    for app in APPS - {"portal"}:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            if any(module.split(".")[0] == "portal" for module in _imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
