"""The fixes as libcst codemods, for libcst's own runner:

    python -m libcst.tool codemod -x flake8_sqla_session.fix.codemods.SqlaSessionFixes PATH
    python -m libcst.tool codemod -x flake8_sqla_session.fix.codemods.AddPoolPrePing PATH

Each runs the detection core on the module and applies the same edits as
`flake8-sqla-session --fix`; none detects anything on its own.
"""
from __future__ import annotations

import argparse
from typing import ClassVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

from ..settings import Settings
from .api import fix_source


class SqlaSessionFixes(VisitorBasedCodemodCommand):
    DESCRIPTION: str = "Apply flake8-sqla-session's safe fixes (SQS201, SQS202, SQS301); --unsafe-fixes adds SQS101."
    CODES: ClassVar[tuple[str, ...]] = ("SQS",)
    UNSAFE: ClassVar[bool] = False

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self.unsafe = unsafe_fixes or self.UNSAFE

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe-fixes", dest="unsafe_fixes", action="store_true", help="also apply unsafe fixes (SQS101)"
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        codes = self.CODES
        result = fix_source(
            tree.code,
            Settings(),
            filename=self.context.filename or "",
            unsafe=self.unsafe,
            select=lambda code: code.startswith(codes),
        )
        if not result.applied:
            return tree
        return cst.parse_module(result.source)


class AddPoolPrePing(SqlaSessionFixes):
    DESCRIPTION = "SQS201: add pool_pre_ping=True to create_engine() calls."
    CODES = ("SQS201",)


class LowerPoolRecycle(SqlaSessionFixes):
    DESCRIPTION = "SQS202: set pool_recycle below the server's idle timeout."
    CODES = ("SQS202",)


class RollbackInHandlers(SqlaSessionFixes):
    DESCRIPTION = "SQS301: call session.rollback() first in except handlers that swallow database errors."
    CODES = ("SQS301",)


class ScopedModuleSessions(SqlaSessionFixes):
    DESCRIPTION = "SQS101 (unsafe): turn module-level sessions into scoped_session registries."
    CODES = ("SQS101",)
    UNSAFE = True
