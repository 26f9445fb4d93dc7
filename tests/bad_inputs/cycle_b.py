from cycle_a import *  # noqa: F401,F403
from cycle_a import SessionLocal

__all__ = ["SessionLocal"]
