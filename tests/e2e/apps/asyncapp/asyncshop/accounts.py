"""Sign a batch of addresses up, skipping those already taken (async)."""
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from asyncshop import settings
from asyncshop.models import User

logger = logging.getLogger(__name__)


async def register(session, email):
    try:
        session.add(User(email=email))
        await session.commit()
    except IntegrityError:
        # Already registered: not an error for the caller.
        logger.info("%s is already registered", email)
        return False
    return True


async def signup(emails):
    """One request: register every address with one session, then count the users."""
    registered = []
    async with settings.SESSION_MAKER() as session:
        for email in emails:
            if await register(session, email):
                registered.append(email)
        total = await session.scalar(select(func.count()).select_from(User))
    return {"registered": registered, "users": total}
