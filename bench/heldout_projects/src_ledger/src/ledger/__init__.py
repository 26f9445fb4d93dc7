"""Double-entry ledger."""
from .extensions import Session, SessionFactory, engine

__all__ = ["Session", "SessionFactory", "engine"]
