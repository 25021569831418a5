"""The shape docs/ARCHITECTURE.md describes: stages with one job each, imported one way."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "superwhisper2"


def _imports(path: Path) -> set:
    """The package's own modules that `path` imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(PACKAGE).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[: len(here) - (node.level - 1)] if node.level > 1 else here)
            if node.module:
                base += node.module.split(".")
                found.add("/".join(base))
            else:
                found.update("/".join(base + [alias.name]) for alias in node.names)
    return {name for name in found if (PACKAGE / f"{name}.py").is_file()}


def _graph() -> dict:
    return {str(p.relative_to(PACKAGE).with_suffix("")): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_no_module_imports_itself_back_through_others():
    graph = _graph()
    seen, cycles = {}, []

    def visit(node, path):
        if seen.get(node) == "open":
            cycles.append(path[path.index(node):] + [node])
            return
        if seen.get(node) == "done":
            return
        seen[node] = "open"
        for other in sorted(graph.get(node, ())):
            visit(other, path + [node])
        seen[node] = "done"

    for node in sorted(graph):
        visit(node, [])
    assert cycles == []


def test_the_engine_knows_nothing_of_talon_or_the_plugin():
    for path in (PACKAGE / "engine").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "from talon" not in source and "import talon" not in source, path.name
        assert all(name.startswith("engine/") for name in _imports(path)), path.name


def test_every_python_file_of_the_plugin_stays_under_300_lines():
    long = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}


def test_stages_call_forward_only():
    """capture → recognise → interpret → type: no stage imports a later one's caller."""
    graph = _graph()
    assert "session" not in graph["capture"] and "pipeline" not in graph["capture"]
    assert not {"session", "pipeline", "capture", "typist"} & graph["recognise"]
    assert not {"session", "pipeline", "capture", "recognise", "typist"} & graph["interpret"]
    assert not {"session", "pipeline", "capture", "recognise"} & graph["typist"]
    assert not {"session", "capture"} & graph["microphone"]


STAGES = ("capture", "recognise", "interpret", "pipeline", "typist")


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_stage_takes_the_session_as_any():
    """Each stage receives typed values (phrases.py), never the whole session to poke at."""
    found = [f"{stage}.{function.name}({argument.arg})"
             for stage in STAGES for function in _functions(PACKAGE / f"{stage}.py")
             for argument in function.args.args + function.args.kwonlyargs
             if "session" in argument.arg.lower()]
    assert found == []


def test_no_engine_function_takes_more_than_five_positional_parameters():
    """Past that, keyword-only (`*`): one Request travels through the engine instead."""
    long = []
    for path in (PACKAGE / "engine").glob("*.py"):
        for function in _functions(path):
            positional = [a for a in function.args.posonlyargs + function.args.args if a.arg not in ("self", "cls")]
            if len(positional) > 5:
                long.append(f"{path.stem}.{function.name}: {len(positional)}")
    assert long == []


def test_the_session_holds_state_and_commands_in_at_most_200_lines():
    assert len((PACKAGE / "session.py").read_text(encoding="utf-8").splitlines()) <= 200
