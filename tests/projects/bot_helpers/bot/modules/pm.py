"""Command handlers: each runs in the one bot process, on the helpers' shared session."""
from sqlalchemy.exc import IntegrityError

from bot.sql import approvals_sql as sql


async def approve_cmd(event):
    from bot.sql.approvals_sql import approve

    try:
        approve(event.chat_id)
    except IntegrityError:  # expect: SQS301
        await event.edit("already approved")
        return
    await event.edit("approved")


async def auto_approve(event):
    try:
        sql.approve(event.chat_id)
    except IntegrityError:  # expect: SQS301
        return


async def check(event):
    """The helper closes the session itself: nothing is left broken."""
    from bot.sql.approvals_sql import is_approved

    try:
        approved = is_approved(event.chat_id)
    except Exception:
        approved = None
    return approved


async def disapprove_cmd(event):
    """The helper rolls back before the error reaches here."""
    try:
        sql.disapprove(event.chat_id)
    except Exception:
        await event.edit("could not disapprove")


async def approve_quietly(event):
    """The handler can name the shared session here: the fix rolls it back (with --unsafe-fixes)."""
    from bot.sql import SESSION
    from bot.sql.approvals_sql import approve

    try:
        approve(event.chat_id)
    except IntegrityError:  # expect: SQS301
        await event.edit("already approved")
    return SESSION
