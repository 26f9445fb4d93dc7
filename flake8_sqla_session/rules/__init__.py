"""Every rule, in code order.  Adding a rule means adding its class here."""
from __future__ import annotations

from .base import Invalid, Rule, Valid
from .django import EngineInDjangoSettings
from .pool import EngineWithoutPrePing, PoolRecycleTooLong
from .rollback import HandlerWithoutRollback
from .scope import ModuleLevelConnection, ModuleLevelSession, SharedSessionDefault, UnclosedSession

RULES: tuple[Rule, ...] = (
    ModuleLevelSession(),
    ModuleLevelConnection(),
    SharedSessionDefault(),
    UnclosedSession(),
    EngineWithoutPrePing(),
    PoolRecycleTooLong(),
    HandlerWithoutRollback(),
    EngineInDjangoSettings(),
)

OPT_IN_CODES: tuple[str, ...] = tuple(rule.code for rule in RULES if rule.opt_in)

__all__ = ["RULES", "OPT_IN_CODES", "Rule", "Valid", "Invalid"]
