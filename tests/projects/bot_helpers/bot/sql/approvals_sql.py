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
