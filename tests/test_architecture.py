"""The package's layers, read from the code's own imports (every import statement, function-local ones too).

foundation (errors, io, schema, indicators, dataset, panel, sample, privacy, ...)
    <- methods (weights, targets, scoring, pls, research, ecsi)
    <- application (steps, report, pipeline, config, loading, messages, notebook_params, notebook_run, whatif)
    <- entry points (cli)

An import may only point to the same layer or a lower one, the module graph has no
cycle, and nothing is discovered through importlib.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "calibrate"

LAYERS = {
    "entry": ("calibrate.cli",),
    "application": (
        "calibrate.steps",
        "calibrate.report",
        "calibrate.pipeline",
        "calibrate.config",
        "calibrate.loading",
        "calibrate.messages",
        "calibrate.notebook_params",
        "calibrate.notebook_run",
        "calibrate.whatif",
        "calibrate.scaffold",
    ),
    "methods": (
        "calibrate.weights",
        "calibrate.targets",
        "calibrate.scoring",
        "calibrate.pls",
        "calibrate.research",
        "calibrate.ecsi",
    ),
}
RANK = {"foundation": 0, "methods": 1, "application": 2, "entry": 3}


def layer_of(module: str) -> str:
    for layer, prefixes in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return layer
    return "foundation"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> set[str]:
    """Every calibrate module that ``module`` imports, resolved to the module (or package) it names."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("calibrate") and name != module:
                found.add(name)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_no_import_points_to_a_higher_layer():
    upward = [
        f"{m} ({layer_of(m)}) imports {t} ({layer_of(t)})"
        for m, targets in GRAPH.items()
        if m != "calibrate"
        for t in sorted(targets)
        if t != "calibrate" and RANK[layer_of(t)] > RANK[layer_of(m)]
    ]
    assert upward == []


def test_the_import_graph_has_no_cycle():
    # a package's __init__ re-exporting its own modules is not a cycle of code
    graph = {
        m: {t for t in ts if not (m.startswith(t + ".") and MODULES[t].name == "__init__.py")}
        for m, ts in GRAPH.items()
        if m != "calibrate"
    }
    graph = {m: {t for t in ts if t in graph} for m, ts in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_nothing_is_discovered_through_importlib():
    offenders = [m for m, p in MODULES.items() if m != "calibrate" and "import_module" in p.read_text(encoding="utf-8")]
    assert offenders == []


@pytest.mark.parametrize(
    "layer,module",
    [
        ("methods", "calibrate.weights.proposal"),
        ("application", "calibrate.steps.weights"),
        ("entry", "calibrate.cli.app"),
        ("foundation", "calibrate.dataset"),
    ],
)
def test_layers_are_assigned_as_documented(layer, module):
    assert layer_of(module) == layer


def test_the_walker_sees_an_upward_import(tmp_path):
    """The check above can fail: a method module importing the pipeline is reported."""
    fake = "calibrate.weights.fake_upward"
    MODULES[fake] = tmp_path / "fake_upward.py"
    MODULES[fake].write_text("def f():\n    from calibrate.pipeline import run\n", encoding="utf-8")
    try:
        assert imports_of(fake) == {"calibrate.pipeline"}
        assert RANK[layer_of("calibrate.pipeline")] > RANK[layer_of(fake)]
    finally:
        del MODULES[fake]


def _imported_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {modules!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def test_help_and_version_import_nothing_scientific():
    code = (
        "from calibrate.cli.app import main\n"
        "for argv in (['--help'], ['--version']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass"
    )
    assert _imported_after(code, ("numpy", "pandas", "scipy", "statsmodels", "yaml", "matplotlib")) == []


def test_the_run_process_imports_no_chart_library():
    """Charts are drawn in the report kernels; the process that computes the steps and embeds the
    page font (``calibrate.pipeline`` and every step) needs neither matplotlib nor seaborn."""
    code = (
        "import calibrate.pipeline, calibrate.report.webfont\n"
        "from calibrate.steps import all_steps\nall_steps()\n"
        "from calibrate.fonts import cjk_font_path\ncjk_font_path()"
    )
    assert _imported_after(code, ("matplotlib", "seaborn")) == []
