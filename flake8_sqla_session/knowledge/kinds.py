"""What a name or expression is, as far as the rules care: SQLAlchemy's kinds of objects.

The bottom layer, with `names`: it knows SQLAlchemy's public names and nothing of
any module being checked.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Union


class Kind(enum.Enum):
    """What an expression evaluates to, as far as the rules are concerned."""

    SESSION = "Session"
    ASYNC_SESSION = "AsyncSession"
    FACTORY = "sessionmaker"
    ASYNC_FACTORY = "async_sessionmaker"
    REGISTRY = "scoped_session"
    ASYNC_REGISTRY = "async_scoped_session"
    ENGINE = "Engine"
    ASYNC_ENGINE = "AsyncEngine"
    CONNECTION = "Connection"
    FLASK_DB = "SQLAlchemy"
    # An instance of a Flask-SQLAlchemy model: `db.Model` and its subclasses make them, and their
    # `query` works on `db.session`.
    MODEL = "model"
    FOREIGN = "foreign"  # something that is known not to be SQLAlchemy's
    OBJECT = "object"  # an instance of a project class that is not SQLAlchemy's (its attributes are unknown)


SESSIONS = frozenset({Kind.SESSION, Kind.ASYNC_SESSION})
FACTORIES = frozenset({Kind.FACTORY, Kind.ASYNC_FACTORY})
REGISTRIES = frozenset({Kind.REGISTRY, Kind.ASYNC_REGISTRY})
ENGINES = frozenset({Kind.ENGINE, Kind.ASYNC_ENGINE})
ASYNC_KINDS = frozenset({Kind.ASYNC_SESSION, Kind.ASYNC_FACTORY, Kind.ASYNC_REGISTRY, Kind.ASYNC_ENGINE})

# SQLAlchemy's public names, by what a call of them (or an annotation with them) gives.
SA_CALLS = {
    "Session": Kind.SESSION,
    "AsyncSession": Kind.ASYNC_SESSION,
    "sessionmaker": Kind.FACTORY,
    "async_sessionmaker": Kind.ASYNC_FACTORY,
    "scoped_session": Kind.REGISTRY,
    "async_scoped_session": Kind.ASYNC_REGISTRY,
    "create_engine": Kind.ENGINE,
    "engine_from_config": Kind.ENGINE,
    "create_async_engine": Kind.ASYNC_ENGINE,
    "async_engine_from_config": Kind.ASYNC_ENGINE,
}
SA_TYPES = {
    "Session": Kind.SESSION,
    "AsyncSession": Kind.ASYNC_SESSION,
    "scoped_session": Kind.REGISTRY,
    "async_scoped_session": Kind.ASYNC_REGISTRY,
    "sessionmaker": Kind.FACTORY,
    "async_sessionmaker": Kind.ASYNC_FACTORY,
    "Engine": Kind.ENGINE,
    "AsyncEngine": Kind.ASYNC_ENGINE,
    "Connection": Kind.CONNECTION,
    "AsyncConnection": Kind.CONNECTION,
}


@dataclass(frozen=True)
class Maker:
    """A project function or class, by what calling it gives.

    `returns` is the kind of the result.  `context` says the result comes
    through `with maker() as x:` (a `@contextmanager`, or a generator such as a
    FastAPI dependency) and is closed by the maker; `owned` that the session
    stays owned by a `scoped_session` registry (for a context manager: that it
    hands out a registry's session, the one every other call in the thread
    gets too).  A project class that is not
    SQLAlchemy's makes `Kind.OBJECT`s.
    """

    returns: Kind
    context: bool = False
    owned: bool = False


# What classification answers: a kind, a maker, or None for "cannot be told".
Known = Union[Kind, Maker]

# SQLAlchemy exceptions raised after the database answered (or before it was asked):
# catching one does not mean the session's transaction failed.
NOT_DATABASE_ERRORS = frozenset(
    {
        "NoResultFound", "MultipleResultsFound", "ObjectDeletedError", "DetachedInstanceError", "InvalidRequestError",
        "UnmappedInstanceError", "UnmappedClassError", "UnmappedColumnError", "NoInspectionAvailable",
        "NoSuchModuleError", "ArgumentError", "CompileError", "UnsupportedCompilationError",
        "NoSuchTableError", "NoSuchColumnError", "NoReferenceError", "NoReferencedTableError",
        "NoReferencedColumnError", "NoForeignKeysError", "AmbiguousForeignKeysError",
        "CircularDependencyError", "ObjectNotExecutableError", "UnboundExecutionError",
    }
)
