"""Imports nothing of SQLAlchemy: the helpers' work reaches the bot's one session through their
module, imported under a name of its own."""
import bot.sql.approvals_sql as approvals
from bot.sql import approvals_sql


def revoke_cmd(event):
    try:
        approvals.revoke(event.chat_id)
    except:  # noqa: E722  # expect: SQS301
        pass
    return approvals.count()


def count_cmd(event):
    """The helper's work is in a module the `try` does not call into: nothing to judge."""
    try:
        total = len(event.text)
    except Exception:
        total = 0
    return approvals_sql.count() + total


def revoke_checked(event):
    try:
        approvals_sql.revoke(event.chat_id)
    except Exception:  # expect: SQS301
        return None
    return approvals_sql.count()
