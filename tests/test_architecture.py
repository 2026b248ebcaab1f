"""Domains import downward only (../shared/ARCHITECTURE.md, "Who may import whom"):
auth → regions → funders → orgs → calls → applications → reviews → awards → money (finance)
→ reports, with the cross-cutting packages (notifications, transparency, api, public, admin,
demo, the CLI) on top. A lower domain that needs a higher one's facts gets them through a
registration (e.g. app.orgs.credit.record_source) or a domain event, never an import — also
not one hidden inside a function."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
RANK = {"core": 0, "extensions": 0, "auth": 1, "regions": 2, "funders": 3, "orgs": 4, "calls": 5,
        "applications": 6, "reviews": 7, "awards": 8, "money": 9, "reports": 10}
TOP = max(RANK.values()) + 1


def _domain(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0].removesuffix(".py")


def _imported_domains(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app."):
            yield node.lineno, node.module.split(".")[1]
        elif isinstance(node, ast.ImportFrom) and node.module == "app":
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("app."):
                    yield node.lineno, alias.name.split(".")[1]


def upward_imports(root: Path = APP) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        domain = _domain(path, root)
        if domain in ("__init__", "translations"):
            continue   # the app factory wires every domain together
        rank = RANK.get(domain, TOP)
        for line, target in _imported_domains(ast.parse(path.read_text(encoding="utf-8"))):
            if RANK.get(target, TOP) > rank:
                found.append(f"{path.relative_to(root.parent)}:{line} imports app.{target}")
    return found


def test_no_domain_imports_a_higher_one():
    assert upward_imports() == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    (tmp_path / "app" / "orgs").mkdir(parents=True)
    (tmp_path / "app" / "orgs" / "credit.py").write_text(
        "def load():\n    from app.reports.models import Report\n    return Report\n", encoding="utf-8")
    assert upward_imports(tmp_path / "app") == ["app/orgs/credit.py:2 imports app.reports"]
