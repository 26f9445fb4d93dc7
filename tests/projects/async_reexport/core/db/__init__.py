"""Database access for the services: import from here, not from core.db.session."""
from .session import *  # noqa: F401,F403
