"""The runner: the rules applied to one module.

The layers, from the bottom: `knowledge/` (what a name is: SQLAlchemy's names
and kinds, one module's bindings and classification, the project's modules),
`context.py` (what the rules ask about the module being checked), `rules/`
(one unit per code), and this runner, which the front-ends call: the flake8
plugin, the command line and its fixer, the codemods and the language server.
"""
from __future__ import annotations

import ast

from .context import Context, TextFacts
from .finding import Finding
from .knowledge.project import project_for
from .rules import RULES
from .settings import Settings


def check(tree: ast.Module, settings: Settings, filename: str = "", source: str | None = None) -> list[Finding]:
    """Every finding of every rule in `tree`, sorted by position.

    With the module's `source`, rules whose prefilter says the text cannot hold
    their pattern are skipped, and a module no rule can apply to is not walked.
    """
    project = project_for(filename, settings)
    try:
        if source is None:
            rules = RULES
        else:
            facts = TextFacts(source, filename, project)
            rules = tuple(rule for rule in RULES if rule.may_apply(facts, settings))
            if not rules:
                return []
        module_name = project.module_name_of(filename) if filename else ""
        context = Context(tree, settings, filename, project, module_name, source)
        findings = [finding for rule in rules for finding in rule.check(context)]
    finally:
        project.release()
    findings.sort(key=lambda f: (f.line, f.col, f.code))
    return findings
