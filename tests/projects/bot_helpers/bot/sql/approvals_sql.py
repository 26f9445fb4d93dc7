"""Helpers over the shared SESSION, in the shape of Telegram userbots' sql modules."""
from sqlalchemy import Column, String

from bot.sql import BASE, SESSION


class Approval(BASE):
    __tablename__ = "approvals"
    chat_id = Column(String(14), primary_key=True)


def approve(chat_id):
    SESSION.add(Approval(chat_id=str(chat_id)))
    SESSION.commit()


def is_approved(chat_id):
    try:
        return SESSION.query(Approval).get(str(chat_id))
    finally:
        SESSION.close()


def disapprove(chat_id):
    try:
        SESSION.query(Approval).filter_by(chat_id=str(chat_id)).delete()
        SESSION.commit()
    except Exception:
        SESSION.rollback()
        raise


def revoke(chat_id):
    """Reads the shared session outside its `try`: when that read fails, the error leaves with the
    session broken, whatever the handler below would have done (SaitamaRobot's `un_fban_user`)."""
    approval = SESSION.query(Approval).get(str(chat_id))
    SESSION.delete(approval)
    try:
        SESSION.commit()
    except Exception:
        SESSION.rollback()
        return False
    return True


def count():
    return SESSION.query(Approval).count()
