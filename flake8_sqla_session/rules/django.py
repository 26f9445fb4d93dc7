"""SQS4xx (opt-in): SQLAlchemy set up where Django already owns the connection."""
from __future__ import annotations

from typing import Iterator

from ..context import Context, TextFacts
from ..finding import Finding
from ..knowledge.kinds import ENGINES, FACTORIES, REGISTRIES, SESSIONS
from ..settings import Settings
from .base import Invalid, Rule, Valid

DJANGO_DOCS = "https://docs.djangoproject.com/en/stable/topics/db/sql/#executing-custom-sql-directly"
_BUILT = ENGINES | FACTORIES | REGISTRIES | SESSIONS


def is_settings_path(filename: str) -> bool:
    """A file named settings.py, or one inside a settings/ package."""
    parts = filename.replace("\\", "/").split("/")
    return parts[-1] == "settings.py" or "settings" in parts[:-1]


def is_django_settings(context: Context) -> bool:
    """A settings module (by its path) that defines DATABASES."""
    return is_settings_path(context.filename) and "DATABASES" in context.module.names


class EngineInDjangoSettings(Rule):
    """## What it does
    Finds a SQLAlchemy engine, session factory or session built in a Django
    settings module (`settings.py`, or a module in a `settings/` package, that
    defines `DATABASES`). Off by default: enable it with
    `--extend-select SQS401`.

    ## Why is this bad?
    Settings run once per process, at import, so whatever they build is shared
    by every request, and Django's own connection handling (`CONN_MAX_AGE`,
    `CONN_HEALTH_CHECKS`, closing connections at the end of each request) does
    not reach it. Use Django's connection (`django.db.connections["default"]`)
    or build the engine in application code with `pool_pre_ping=True`.
    """

    code = "SQS401"
    needs_sqlalchemy = True
    message = (
        "SQLAlchemy {what} built in a Django settings module bypasses Django's connection handling; "
        "use django.db.connections[...] or build it per unit of work in application code"
    )
    references = (DJANGO_DOCS,)
    opt_in = True
    valid = [
        Valid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n",
            filename="app/db.py",
        ),
        Valid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n",
            filename="app/settings.py",
        ),
        Valid("DATABASES = {'default': {}}\nDEBUG = True\n", filename="app/settings.py"),
    ]
    invalid = [
        Invalid(
            "from sqlalchemy import create_engine\nDATABASES = {'default': {}}\n"
            "engine = create_engine(url, pool_pre_ping=True)\n",
            at=(3, 9),
            filename="app/settings.py",
        ),
        Invalid(
            "from sqlalchemy.orm import sessionmaker\nDATABASES = {}\nSessionLocal = sessionmaker()\n",
            at=(3, 15),
            filename="project/settings/production.py",
        ),
    ]

    needs_words = ("DATABASES",)

    @classmethod
    def may_apply(cls, text: TextFacts, settings: Settings) -> bool:
        return is_settings_path(text.filename) and super().may_apply(text, settings)

    def check(self, context: Context) -> Iterator[Finding]:
        if not context.calls or not is_django_settings(context):
            return
        for call, scope in context.calls:
            kind = context.classify(call, scope)
            if kind in _BUILT:
                assert kind is not None
                if kind in ENGINES:
                    what = "engine"
                elif kind in FACTORIES or kind in REGISTRIES:
                    what = "session factory"
                else:
                    what = "session"
                yield self.finding(call, what=what)
