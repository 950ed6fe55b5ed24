"""The code's layering, read from every module's imports: data flows one way
(SGF -> engine -> features/networks -> search -> GTP / analysis / self-play),
a lower layer never imports a higher one, and no two modules import each
other, directly or round a cycle, whether the import sits at the top of the
file or inside a function."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

# package (or module) -> layer; a module may import only its own layer and below
LAYERS = {
    "tengen": 0,          # the distribution's package: its version only
    "tengen.base": 0,     # paths, config-to-command-line, atomic files, stopping, provenance
    "tengen.models": 0,   # the shipped weights (package data)
    "engine": 1,          # rules, board, scoring, replay, SGF, coordinates, clock, move choice
    "nets": 2,            # feature planes, the networks and the rollout policy: training, evaluation
    "mcts": 3,            # the search and its player
    "tengen.gtp": 4,      # the protocol, the Go commands, analysis formats, the client
    "tengen.analysis_engine": 4,  # tengen analysis: KataGo's JSON analysis protocol
    "tengen.referee": 5,  # tengen match
    "tengen.review": 5,   # tengen analyze
    "selfplay": 6,        # self-play and reinforcement learning (may referee its gating)
    "tengen.bench": 7,    # tengen bench: measures everything below it
    "tengen.cli": 8,      # the tengen command: dispatch only
    "gtp_server": 8,      # python gtp_server.py
}


def project_modules():
    """{dotted module name: path} of every Python module outside tests/scripts."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("tests", "scripts", "build") or any(p.startswith(".") for p in rel.parts):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def layer_of(module):
    best = None
    for name, layer in LAYERS.items():
        if module == name or module.startswith(name + "."):
            if best is None or len(name) > len(best[0]):
                best = (name, layer)
    return None if best is None else best[1]


def imports_of(module, path, known):
    """Project modules that ``module`` imports anywhere in its file."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            # "from pkg import module" names a module; "from module import name" does not
            names = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def import_graph():
    known = project_modules()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def test_every_module_has_a_layer():
    missing = sorted(m for m in project_modules() if layer_of(m) is None)
    assert not missing, f"modules outside every layer (add them to LAYERS): {missing}"


def test_no_module_imports_a_higher_layer():
    upward = [f"{m} (layer {layer_of(m)}) imports {d} (layer {layer_of(d)})"
              for m, deps in import_graph().items() for d in sorted(deps)
              if layer_of(d) > layer_of(m)]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    graph = import_graph()
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = "done"
    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_function_level_imports(tmp_path):
    """A cycle hidden inside a function still counts."""
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    known = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    assert imports_of("b", known["b"], known) == {"a"}
    assert imports_of("a", known["a"], known) == {"b"}


def test_a_regular_install_adds_only_the_specified_top_level_names():
    """A user's own ``models`` or ``analysis`` package must not collide with
    tengen's: everything but the specified top-level folders lives under
    ``tengen``, and every folder of code is a package the wheel includes."""
    import tomllib

    import setuptools
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = setuptools.find_packages(str(ROOT), include=tool["packages"]["find"]["include"])
    top = {p.split(".")[0] for p in found} | set(tool["py-modules"])
    assert top == {"engine", "nets", "mcts", "selfplay", "tengen", "gtp_server"}
    code_dirs = {".".join(m.split(".")[:-1]) for m in project_modules() if "." in m}
    assert code_dirs <= set(found), sorted(code_dirs - set(found))
