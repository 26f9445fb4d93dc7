"""Helpers the views call: each files its errors in `messages` for the view to show."""
import logging

import sqlalchemy

from panel.extensions import db
from panel.models import User

logger = logging.getLogger(__name__)


def rename(user_id, name):
    messages = {"success": [], "error": []}
    user = User.query.get(user_id)
    user.name = name
    try:
        db.session.commit()
        messages["success"].append("Renamed")
    except sqlalchemy.exc.IntegrityError as except_msg:
        messages["error"].append(str(except_msg))
    except Exception as except_msg:
        logger.exception("rename")
        messages["error"].append("Error: {err}".format(err=except_msg))
    return messages


def delete(user_id):
    messages = {"success": [], "error": []}
    try:
        User.query.filter(User.id == user_id).delete()
        db.session.commit()
    except Exception as except_msg:  # expect: SQS301
        messages["error"].append(str(except_msg))
    return messages


def touch(user_id):
    errors = []
    try:
        db.session.execute(sqlalchemy.text("UPDATE user SET seen = now() WHERE id = :id"), {"id": user_id})
        db.session.commit()
    except Exception as except_msg:  # expect: SQS301
        errors.append(except_msg)
    return errors


def forgotten(user_id):
    errors = []
    try:
        db.session.commit()
    except Exception as except_msg:  # expect: SQS301
        errors.append(except_msg)
    return errors
