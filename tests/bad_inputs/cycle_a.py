"""Re-exports SessionLocal from cycle_b, which re-exports it from here: it is defined nowhere."""
from cycle_b import SessionLocal

__all__ = ["SessionLocal"]
