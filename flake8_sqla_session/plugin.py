"""The flake8 adapter: flake8 options -> `Settings`, findings -> flake8's 4-tuples."""
from __future__ import annotations

import argparse
import ast
from typing import Any, Callable, ClassVar, Iterator, Sequence

from . import __version__
from .checker import check
from .rules import OPT_IN_CODES
from .settings import (
    DEFAULT_MAX_POOL_RECYCLE,
    DEFAULT_POOL_RECYCLE,
    DEFAULT_SESSION_NAMES,
    Settings,
    SettingsError,
)

ISSUES_URL = "https://github.com/flake8-sqla-session/flake8-sqla-session/issues"


def _usage_error(exc: SettingsError) -> argparse.ArgumentTypeError:
    """argparse's error (flake8 prints it as a usage error), without the option's name twice."""
    return argparse.ArgumentTypeError(str(exc).partition(": ")[2])


def _accepted_as(option: str) -> Callable[[str], str]:
    """An option type: the value itself, once `Settings.build(<option>=value)` accepts it."""

    def accepted(value: str) -> str:
        try:
            Settings.build(**{option: value})
        except SettingsError as exc:
            raise _usage_error(exc) from None
        return value

    accepted.__name__ = f"{option}_type"
    return accepted


session_names_type = _accepted_as("session_names")
django_settings_type = _accepted_as("django_settings")


def seconds_type(value: str) -> int:
    try:
        return Settings.build(max_pool_recycle=value).max_pool_recycle
    except SettingsError as exc:
        raise _usage_error(exc) from None


def _nul_byte_raises_value_error() -> bool:
    try:
        ast.parse("\0")
    except ValueError:
        return True
    except SyntaxError:
        return False
    return False  # pragma: no cover - no Python parses a NUL byte


def _report_nul_bytes_as_syntax_errors() -> None:
    """Make flake8 report a NUL byte as E999 on every Python, not crash on the older ones.

    flake8 parses each file before any plugin sees it and reports a SyntaxError
    as E999, but Python before 3.11.4 raises ValueError for a NUL byte (3.11.4+
    raise SyntaxError with the same message, CPython gh-96670), and flake8 dies with a
    traceback (PyCQA/flake8#1822).  Loading this plugin turns that ValueError
    into the SyntaxError that newer Pythons raise, so flake8 prints the same
    `E999 SyntaxError: source code string cannot contain null bytes` everywhere.
    """
    if not _nul_byte_raises_value_error():
        return
    from flake8.processor import FileProcessor

    build_ast = FileProcessor.build_ast
    if getattr(build_ast, "_sqla_session_nul_bytes", False):
        return

    def build_ast_raising_syntax_error(self: Any) -> ast.AST:
        try:
            return build_ast(self)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise SyntaxError(str(exc)) from None

    build_ast_raising_syntax_error._sqla_session_nul_bytes = True  # type: ignore[attr-defined]
    FileProcessor.build_ast = build_ast_raising_syntax_error


_report_nul_bytes_as_syntax_errors()


class Plugin:
    """flake8 entry point for the SQS codes."""

    name = "flake8-sqla-session"
    version = __version__
    settings: ClassVar[Settings] = Settings()

    def __init__(self, tree: ast.Module, filename: str = "", lines: Sequence[str] | None = None) -> None:
        self._tree = tree
        self._filename = filename
        self._source = None if lines is None else "".join(lines)

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--sqla-session-names",
            default=DEFAULT_SESSION_NAMES,
            type=session_names_type,
            parse_from_config=True,
            help="Regular expression (full match) for names that hold a SQLAlchemy session, "
            "used by SQS301. (Default: %(default)s)",
        )
        option_manager.add_option(
            "--sqla-session-factories",
            default="",
            comma_separated_list=True,
            parse_from_config=True,
            help="Comma-separated dotted names of callables that return a SQLAlchemy session, "
            "e.g. app.db.SessionLocal.",
        )
        option_manager.add_option(
            "--sqla-max-pool-recycle",
            default=DEFAULT_MAX_POOL_RECYCLE,
            type=seconds_type,
            parse_from_config=True,
            help="The server's idle timeout in seconds; SQS202 reports pool_recycle at or "
            "above it. (Default: %(default)s)",
        )
        option_manager.add_option(
            "--sqla-pool-recycle",
            default=DEFAULT_POOL_RECYCLE,
            type=seconds_type,
            parse_from_config=True,
            help="The pool_recycle value that the SQS202 fix sets. (Default: %(default)s)",
        )
        option_manager.add_option(
            "--sqla-src",
            default="",
            comma_separated_list=True,
            normalize_paths=True,
            parse_from_config=True,
            help="Comma-separated import roots to look in for the project's own modules, before the "
            "ones found from each file's path (like ruff's src).",
        )
        option_manager.add_option(
            "--sqla-django-settings",
            default="",
            type=django_settings_type,
            parse_from_config=True,
            help="The Django settings module (e.g. mysite.settings), when DJANGO_SETTINGS_MODULE, "
            "manage.py and the project's settings module do not tell it.",
        )
        option_manager.add_option(
            "--sqla-cache-dir",
            default="",
            parse_from_config=True,
            help="Where what the project's modules are is kept between runs, or 'off' "
            "(default: $FLAKE8_SQLA_SESSION_CACHE_DIR, else ~/.cache/flake8-sqla-session).",
        )
        option_manager.add_option(
            "--sqla-no-cache",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="Work out what the project's modules are anew, and keep nothing (--sqla-cache-dir=off).",
        )
        option_manager.extend_default_ignore(list(OPT_IN_CODES))

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.settings = Settings.build(
            session_names=options.sqla_session_names,
            session_factories=options.sqla_session_factories,
            max_pool_recycle=options.sqla_max_pool_recycle,
            pool_recycle=options.sqla_pool_recycle,
            src=getattr(options, "sqla_src", None),
            django_settings=getattr(options, "sqla_django_settings", None),
            cache_dir="off" if getattr(options, "sqla_no_cache", False) else getattr(options, "sqla_cache_dir", None),
        )

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        try:
            findings = check(self._tree, self.settings, self._filename, self._source)
        except Exception as exc:  # an editor must never see a traceback
            yield (
                1,
                0,
                f"SQS999 flake8-sqla-session could not check this file ({type(exc).__name__}: {exc}); "
                f"please report it at {ISSUES_URL}",
                type(self),
            )
            return
        for finding in findings:
            yield finding.line, finding.col, finding.message, type(self)
