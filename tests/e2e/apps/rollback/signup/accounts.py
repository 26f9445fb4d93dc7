"""Business code: sign a batch of addresses up, skipping those already taken."""
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from signup.db import SessionLocal
from signup.models import User

logger = logging.getLogger(__name__)


def register(session, email):
    try:
        session.add(User(email=email))
        session.commit()
    except IntegrityError:
        # Already registered: not an error for the caller.
        logger.info("%s is already registered", email)
        return False
    return True


def signup(emails):
    """One request: register every address with one session, then count the users."""
    registered = []
    with SessionLocal() as session:
        for email in emails:
            if register(session, email):
                registered.append(email)
        total = session.scalar(select(func.count()).select_from(User))
    return {"registered": registered, "users": total}
