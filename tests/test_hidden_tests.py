"""Hidden tests read nothing a student's answer cell could have rebound.

An answer cell runs in the same kernel as the test cells after it, so it can rebind any name of
the notebook: `float = ...`, `np = ...`, a data set, a model builder, a learning rate. A hidden
test (between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`) may therefore read only the
names it binds itself (imports under underscore names, assignments, loop variables, its own
functions and their arguments) and the exercise's answer functions, the names a solution cell of
the same notebook defines with `def` (or `class`). Built-ins count as notebook names: a hidden
test reaches them through `import builtins as _b`. This checks every source notebook, without
running any.
"""

from __future__ import annotations

import ast
import re
import symtable
from pathlib import Path

import course_tools as ct
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

HIDDEN = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*### END HIDDEN TESTS", re.M | re.S
)
ADVICE = (
    "a hidden test must not read names from the notebook, which the answer cells can rebind: "
    "import it inside the hidden block under an underscore name (`import numpy as _np`), or use "
    "builtins via `import builtins as _b` (`_b.float`, `_b.abs`, `_b.len`), and make data, models "
    "and constants inside the block"
)


def python(code: str) -> str:
    """`code` with IPython's own syntax (magics, `!` commands) turned into Python."""
    return TransformerManager().transform_cell(code)


def free_names(block: str, allowed: frozenset[str] | set[str] = frozenset()) -> list[tuple]:
    """(name, line) of every name `block` reads but binds nowhere itself, except `allowed`, at
    its first use (lines counted from 1). Scopes count: an argument of a function or a lambda
    binds the name inside it only, and a function reads a module-level name of the block only
    if the block binds it at module level."""
    code = python(block)
    tree = ast.parse(code)
    top = symtable.symtable(code, "<hidden tests>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    free = {s.get_name() for s in top.get_symbols() if s.is_referenced()} - bound
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            if symbol.is_declared_global() and symbol.is_assigned():
                bound.add(symbol.get_name())
            elif symbol.is_global() and symbol.is_referenced():
                free.add(symbol.get_name())
    free -= bound | set(allowed)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    first_use: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in free and not _local(node, parents):
            first_use[node.id] = min(first_use.get(node.id, node.lineno), node.lineno)
    return sorted(((name, first_use.get(name, 1)) for name in free), key=lambda f: (f[1], f[0]))


def _local(name: ast.Name, parents: dict) -> bool:
    """Whether an argument or a comprehension variable around `name` binds it (for the line
    `free_names` reports: the first read that does reach the notebook)."""
    node = name
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
            if name.id in {a.arg for a in every}:
                return True
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            targets = (g.target for g in node.generators)
            stored = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if name.id in stored:
                return True
    return False


def answer_functions(notebook: nbformat.NotebookNode) -> set[str]:
    """The names a solution code cell defines with a top-level `def` (or `class`)."""
    names = set()
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            tree = ast.parse(python(cell.source))
            names |= {
                node.name
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            }
    return names


def problems(path: Path) -> list[str]:
    """One line per name a hidden test of the notebook at `path` reads from the notebook."""
    notebook = nbformat.read(path, as_version=4)
    answers = answer_functions(notebook)
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        for match in HIDDEN.finditer(cell.source):
            offset = cell.source.count("\n", 0, match.start(1))
            block = match.group(1)
            try:
                names = free_names(block, answers)
            except SyntaxError as error:
                found.append(f"{meta.get('grade_id')}: the hidden tests do not parse: {error}")
                continue
            lines = block.splitlines()
            for name, line in names:
                text = lines[line - 1].strip() if line <= len(lines) else ""
                found.append(
                    f"{meta.get('grade_id')}, line {offset + line} of the cell: "
                    f"`{name}` is read from the notebook ({text})"
                )
    return found


def test_the_checker_passes_a_hidden_block_that_binds_what_it_reads():
    clean = (
        "import builtins as _b\n"
        "import numpy as _np\n"
        "def _want(n, *, scale=2.0):\n"
        "    return scale * n\n"
        "for _n in _b.range(3):\n"
        "    _got = _b.float(square(_np.float64(_n)))\n"
        "    assert _b.abs(_got - _want(_n)) <= 1e-9, [_v for _v in _b.range(_n)]\n"
        "try:\n"
        "    square(-1)\n"
        "except _b.ValueError as _err:\n"
        "    _message = _b.str(_err)\n"
    )
    assert free_names(clean, {"square"}) == []


def test_the_checker_flags_builtins_notebook_globals_and_names_bound_in_another_scope():
    dirty = (
        "import numpy as _np\n"
        "_scale = lambda x: 2 * x\n"
        "_got = float(square(3))\n"
        "assert abs(_got - EXPECTED) <= 1e-9 + x, 'square(3)'\n"
    )
    assert free_names(dirty, {"square"}) == [("float", 3), ("EXPECTED", 4), ("abs", 4), ("x", 4)]
    unanswered = [name for name, _ in free_names(dirty)]
    assert unanswered == ["float", "square", "EXPECTED", "abs", "x"]


@pytest.mark.parametrize("assignment", ct.assignments())
def test_hidden_tests_read_only_their_own_names_and_the_answer_functions(assignment):
    notebooks = sorted((ct.COURSE / "source" / assignment).glob("*.ipynb"))
    assert notebooks, f"{assignment}: no notebook"
    for path in notebooks:
        found = problems(path)
        assert not found, f"{path.relative_to(ct.ROOT)}: {ADVICE}.\n" + "\n".join(found)
