"""Docstrings and comments name only things that exist.

Every ````dotted.name```` in double backticks in a docstring or a comment of
a project module must resolve: from the project package it starts with (a
module, then attributes down the chain, importing submodules as needed),
from a name the module defines or imports (``Search.select`` in
``mcts/search.py``), from a sibling module (``mistakes.classify`` in
``tengen/review/``), from a class or function of that name anywhere in
the project (``Clock.move_budget``), or from an installed module
(``sgfmill.sgf``).  A trailing ``()`` is a call of the same name; the last
part may also be an attribute that instances of a class set
(``self.name = ...``) or a dataclass field.  A first part that is one of
the module's own variables (``self.cfg``, ``stream.write()``) is not
checked, nor a file name (``NAME.json``).  Renames leave stale names
behind, and a reader who follows one finds nothing."""

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "nets", "mcts", "selfplay", "tengen", "gtp_server")
NAME = re.compile(r"``([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?:\(\))?``")


def project_files():
    files = [ROOT / "gtp_server.py"]
    for package in PACKAGES[:-1]:
        files += sorted((ROOT / package).rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


def documentation(source):
    """The docstrings and comments of a module's source, as one text each."""
    texts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                texts.append(doc)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            texts.append(tok.string)
    return texts


def module_of(path):
    """The module a project file is imported as."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))


FILE_TYPES = {"csv", "gtp", "gz", "html", "json", "jsonl", "md", "npy", "npz", "onnx", "out", "png",
              "pt", "py", "safetensors", "sgf", "txt", "zip"}


def code_names(source):
    """Every identifier the module's code uses (its variables among them)."""
    return {tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.NAME}


def named_in(path):
    """Every dotted name in double backticks in ``path``'s documentation that
    must exist: all but the module's variables and file names."""
    source = path.read_text(encoding="utf-8")
    module, variables = module_of(path), code_names(source)
    names = set()
    for text in documentation(source):
        for name in NAME.findall(text):
            first, last = name.split(".")[0], name.split(".")[-1]
            if first in PACKAGES or hasattr(module, first) or (
                    first not in variables and last not in FILE_TYPES):
                names.add(name)
    return names


def set_by_instances(cls, name):
    """``name`` is a dataclass field of ``cls`` or set as ``self.name``."""
    if dataclasses.is_dataclass(cls) and name in {f.name for f in dataclasses.fields(cls)}:
        return True
    for klass in inspect.getmro(cls):
        if klass is object:
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(rf"\bself\.{name}\s*(:[^=\n]*)?=[^=]", source):
            return True
    return False


def attribute_chain(obj, name, parts):
    """Whether ``parts`` lead from ``obj`` (``name`` so far) to something."""
    for j, attr in enumerate(parts):
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
        elif inspect.isclass(obj) and j == len(parts) - 1:
            return set_by_instances(obj, attr)
        elif inspect.ismodule(obj):
            try:
                obj = importlib.import_module(f"{obj.__name__}.{attr}")
            except ModuleNotFoundError:
                return False
        else:
            return False
    return True


def project_index():
    """{name: [objects]}: every class and function the project defines."""
    index = {}
    for path in project_files():
        module = module_of(path)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and \
                    getattr(obj, "__module__", None) == module.__name__:
                index.setdefault(name, []).append(obj)
    return index


INDEX = {}


def starts(first, module):
    """What a first part that is not a project package may stand for."""
    if hasattr(module, first):
        return [getattr(module, first)]
    found = []
    package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
    for candidate in (f"{package}.{first}", first):
        if candidate and importlib.util.find_spec(candidate.split(".")[0]) is not None:
            try:
                found.append(importlib.import_module(candidate))
            except ModuleNotFoundError:
                pass
    if not INDEX:
        INDEX.update(project_index())
    return found + INDEX.get(first, [])


def resolves(name, module):
    """``name`` exists: from the package it starts with, or from whatever
    its first part stands for in ``module``."""
    first, *rest = name.split(".")
    if first in PACKAGES:
        return attribute_chain(importlib.import_module(first), first, rest)
    return any(attribute_chain(obj, first, rest) for obj in starts(first, module))


def stale_names(path):
    module = module_of(path)
    return sorted(n for n in named_in(path) if not resolves(n, module))


FILES = project_files()


def relative(path):
    return path.relative_to(ROOT).as_posix()


def test_the_project_is_documented_with_names_to_check():
    assert len(FILES) > 100
    assert sum(len(named_in(f)) for f in FILES) > 100     # the check reads something


@pytest.mark.parametrize("path", FILES, ids=relative)
def test_every_dotted_name_in_the_documentation_exists(path):
    stale = stale_names(path)
    assert not stale, f"{relative(path)} names what does not exist: {stale}"
