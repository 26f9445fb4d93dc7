"""The options shared by the flake8 plugin and the fixer, parsed once into `Settings`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

DEFAULT_SESSION_NAMES = r"(?i)(.*_)?(db)?session|sess"
DEFAULT_MAX_POOL_RECYCLE = 28800  # MySQL's default wait_timeout, in seconds
DEFAULT_POOL_RECYCLE = 3600


class SettingsError(ValueError):
    """An option value that cannot be used; the message names the option."""


def _compile_names(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SettingsError(f"--sqla-session-names: not a regular expression: {pattern!r} ({exc})") from None


def _positive_int(option: str, value: object) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SettingsError(f"{option}: expected a number of seconds, got {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{option}: expected a positive number of seconds, got {number}")
    return number


@dataclass(frozen=True)
class Settings:
    """Options of the detection core (and of the fixes it proposes)."""

    session_names: re.Pattern[str] = field(default_factory=lambda: _compile_names(DEFAULT_SESSION_NAMES))
    session_factories: tuple[str, ...] = ()
    max_pool_recycle: int = DEFAULT_MAX_POOL_RECYCLE
    pool_recycle: int = DEFAULT_POOL_RECYCLE
    # Import roots to look in before the ones found from the checked file's path.
    src: tuple[str, ...] = ()
    # The Django settings module (`proj.settings`), when it cannot be found.
    django_settings: str | None = None
    # Where project answers are kept between runs ("off": nowhere; None: $FLAKE8_SQLA_SESSION_CACHE_DIR,
    # else the user's cache folder).
    cache_dir: str | None = None

    @classmethod
    def build(
        cls,
        session_names: str | None = None,
        session_factories: Iterable[str] | str | None = None,
        max_pool_recycle: object = None,
        pool_recycle: object = None,
        src: Iterable[str] | str | None = None,
        django_settings: str | None = None,
        cache_dir: str | None = None,
    ) -> Settings:
        """Build from raw option values (strings from a command line or config file)."""
        if isinstance(session_factories, str):
            session_factories = session_factories.split(",")
        factories = tuple(f.strip() for f in session_factories or () if f.strip())
        if isinstance(src, str):
            src = src.split(",")
        roots = tuple(r.strip() for r in src or () if r.strip())
        module = (django_settings or "").strip()
        if module and not all(part.isidentifier() for part in module.split(".")):
            raise SettingsError(f"--sqla-django-settings: not a dotted module name: {module!r}")
        return cls(
            session_names=_compile_names(session_names or DEFAULT_SESSION_NAMES),
            session_factories=factories,
            max_pool_recycle=(
                DEFAULT_MAX_POOL_RECYCLE
                if max_pool_recycle in (None, "")
                else _positive_int("--sqla-max-pool-recycle", max_pool_recycle)
            ),
            pool_recycle=(
                DEFAULT_POOL_RECYCLE
                if pool_recycle in (None, "")
                else _positive_int("--sqla-pool-recycle", pool_recycle)
            ),
            src=roots,
            django_settings=module or None,
            cache_dir=(cache_dir or "").strip() or None,
        )

    def is_session_name(self, name: str) -> bool:
        return self.session_names.fullmatch(name) is not None
