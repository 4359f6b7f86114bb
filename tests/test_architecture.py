"""The import directions of docs/architecture.md hold: each room of src/hepatica imports only the rooms its row of
the table names (lazy imports inside functions included)."""

import ast
import re
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "src" / "hepatica"
FOUNDATION = {"hepatica", "errors", "boxes"}


def allowed_imports(document: Path) -> dict[str, set[str]]:
    """Room -> the rooms it may import, from the table between <!-- rooms --> and <!-- /rooms -->."""
    text = document.read_text()
    table = text[text.index("<!-- rooms -->") : text.index("<!-- /rooms -->")]
    rules = {}
    for line in table.splitlines()[3:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3:
            room = cells[0].strip("`")
            rules[room] = set(re.findall(r"`([^`]+)`", cells[2]))
    return rules


def room_of(module: str) -> str:
    """The room of ``hepatica.x.y`` (or of a file's dotted name): its first part below hepatica."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "hepatica"
    return "foundation" if name in FOUNDATION else name


def violations(package: Path, rules: dict[str, set[str]]) -> list[str]:
    """Every import of a hepatica room that the importing room's rule does not allow, as 'file: imports module'."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).with_suffix("")
        own = room_of(".".join(p for p in relative.parts if p != "__init__"))
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] != "hepatica":
                    continue
                target = room_of(module)
                if target != own and target not in rules.get(own, set()):
                    found.append(f"{relative}.py: imports {module} ({own} may import: {sorted(rules.get(own, []))})")
    return found


def test_every_room_has_a_rule():
    rules = allowed_imports(REPO / "docs" / "architecture.md")
    rooms = {room_of(f"hepatica.{p.stem if p.is_file() else p.name}") for p in PACKAGE.iterdir()}
    rooms -= {"__init__", "__pycache__"}
    assert rooms - set(rules) == set(), "rooms without a row in docs/architecture.md"


def test_no_room_imports_a_room_its_rule_does_not_allow():
    assert violations(PACKAGE, allowed_imports(REPO / "docs" / "architecture.md")) == []


def test_the_check_finds_an_upstream_stage_importing_a_downstream_one(tmp_path):
    package = tmp_path / "hepatica"
    (package / "segment").mkdir(parents=True)
    (package / "segment" / "bundled.py").write_text(
        "from hepatica.io.volume import Volume\n\ndef f():\n    from hepatica.report.write import write_analysis\n"
    )
    rules = allowed_imports(REPO / "docs" / "architecture.md")
    assert violations(package, rules) == [
        "hepatica/segment/bundled.py: imports hepatica.report.write (segment may import: ['foundation', 'io'])"
    ]
