"""What project knowledge reads from text, checked against what Python reads from the tree.

    python bench/text_vs_ast.py DIR [DIR ...]   # every .py file under each DIR
    python bench/text_vs_ast.py --apps          # the application corpus (bench/apps.py prepare)
    python bench/text_vs_ast.py --apps --answers  # and what each module-level name is, read both ways

The core checked is the one Python imports: another one through PYTHONPATH (a folder holding
its `flake8_sqla_session/`, from `git archive REV flake8_sqla_session`).

Project modules are read in part: their imports and the names their column-0 statements bind
are found in the text (`Outline`, `_import_statements`), and the checked file's SQLAlchemy
imports too (`TextFacts`).  For every file that parses, this counts

- imports: each (module, name, alias) an `import` node of the tree has, anywhere, that the
  text does not give ("missed"), and those the text gives that the tree has not ("extra":
  import lines in strings and docstrings);
- column-0 names: each name a module-level `def`, `class`, assignment to a name or import binds
  that the outline does not know (a miss costs a read of the whole module);
- SQLAlchemy imports: files whose tree imports sqlalchemy, sqlmodel or flask_sqlalchemy and whose
  text test says no (a miss would skip the file's rules);
- with `--answers` (under one import root per application, as flake8 sees them): what every
  module-level name is (`Project.lookup_absolute`) when its module is read in part, against
  when it is read whole; the names whose answers differ, by pair of answers.

It prints one line per count and the first examples of each miss.
"""
from __future__ import annotations

import argparse
import ast
import collections
import os
import re
import sys
from pathlib import Path
from typing import Iterator, Optional

from flake8_sqla_session.context import TextFacts
from flake8_sqla_session.knowledge import project as project_layer
from flake8_sqla_session.settings import Settings

APPS = Path(__file__).resolve().parent / ".cache" / "apps"
SQLALCHEMY_ROOTS = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")
Import = tuple[str, str, str]


def python_files(folders: list[Path]) -> Iterator[tuple[Path, str, ast.Module]]:
    for folder in folders:
        for where, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                path = Path(where, name)
                try:
                    text = path.read_text(encoding="utf-8")
                    tree = ast.parse(text)
                except (OSError, SyntaxError, ValueError):
                    continue
                yield path, text, tree


def tree_imports(tree: ast.Module) -> set[Import]:
    found: set[Import] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found |= {(module, alias.name, alias.asname or "") for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {("", alias.name, alias.asname or "") for alias in node.names}
    return found


def statement_module(statement: re.Match[str]) -> str:
    """The module of a `from` import (a core before `_statement_module`: its two groups)."""
    clean = getattr(project_layer, "_statement_module", None)
    return str(clean(statement)) if clean else statement.group("dots") + statement.group("module")


def text_imports(text: str) -> set[Import]:
    found: set[Import] = set()
    for statement in project_layer._import_statements(text):
        if statement.group("names") is not None:
            module = statement_module(statement)
            found |= {(module, name, alias) for name, alias in project_layer._imported_names(statement.group("names"))}
        else:
            modules = statement.group("modules")
            found |= {("", name, alias) for name, alias in project_layer._imported_names(modules)}
    return found


def column_0_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                names |= {element.id for element in elements if isinstance(element, ast.Name)}
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            if isinstance(statement.target, ast.Name):
                names.add(statement.target.id)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name.partition(".")[0] for alias in statement.names if alias.name != "*"}
    return names


def imports_sqlalchemy(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.partition(".")[0] in SQLALCHEMY_ROOTS:
                return True
        elif isinstance(node, ast.Import):
            if any(alias.name.partition(".")[0] in SQLALCHEMY_ROOTS for alias in node.names):
                return True
    return False


def answers(folders: list[Path], whole: bool) -> dict[str, str]:
    """What each module-level name of each file is, its module read in part or (`whole`) whole."""
    original = project_layer.Project.knowledge_of_name
    if whole:
        def read_whole(
            self: project_layer.Project, path: str, module: str, name: str, light: bool = False
        ) -> Optional[project_layer.ModuleKnowledge]:
            return original(self, path, module, name, light) if light else self.knowledge(path, module)

        project_layer.Project.knowledge_of_name = read_whole  # type: ignore[method-assign]
    project_layer.forget_projects()
    project_layer._SOURCES.clear()
    project_layer._LATEST.clear()
    settings = Settings(cache_dir="off")
    found: dict[str, str] = {}
    try:
        for folder in folders:
            os.chdir(folder)
            for path, _, tree in python_files([folder]):
                project = project_layer.project_for(str(path), settings)
                module = project.module_name_of(str(path))
                if module:
                    for name in sorted(column_0_names(tree)):
                        found[f"{path}:{name}"] = repr(project.lookup_absolute(f"{module}.{name}"))
                project.release()
    finally:
        project_layer.Project.knowledge_of_name = original  # type: ignore[method-assign]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--apps", action="store_true", help=f"the application corpus ({APPS})")
    parser.add_argument("--answers", action="store_true", help="also compare answers read in part and whole")
    parser.add_argument("--examples", type=int, default=10)
    options = parser.parse_args(argv)
    folders = [folder.resolve() for folder in options.folders]
    if options.apps:
        folders += sorted(path for path in APPS.iterdir() if path.is_dir())
    if not folders:
        parser.error("name folders, or --apps")
    counts: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)

    def miss(kind: str, example: str) -> None:
        counts[kind] += 1
        if len(examples[kind]) < options.examples:
            examples[kind].append(example)

    for path, text, tree in python_files(folders):
        counts["files"] += 1
        expected, read = tree_imports(tree), text_imports(text)
        for item in sorted(expected - read):
            miss("imports missed", f"{path}: {item}")
        counts["imports extra (in strings)"] += len(read - expected)
        outline = project_layer.Outline(text)
        known = set(outline.binders) | set(outline.imported)
        for name in sorted(column_0_names(tree) - known):
            miss("column-0 names missed", f"{path}: {name}")
        if imports_sqlalchemy(tree) and not TextFacts(text).imports_sqlalchemy:
            miss("SQLAlchemy imports missed", str(path))
    if options.answers:
        part, whole = answers(folders, False), answers(folders, True)
        counts["names answered"] = len(part)
        pairs = collections.Counter((part[key], whole.get(key, "-")) for key in part if part[key] != whole.get(key))
        for (in_part, read_whole), number in pairs.most_common():
            counts[f"answers differ: {in_part} in part, {read_whole} whole"] = number
    for kind in ("files", "imports missed", "imports extra (in strings)", "column-0 names missed",
                 "SQLAlchemy imports missed", *(key for key in counts if key.startswith(("names", "answers")))):
        print(f"{kind}: {counts[kind]}")
    for kind, lines in examples.items():
        print(f"\n{kind}, first {len(lines)}:")
        for line in lines:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
