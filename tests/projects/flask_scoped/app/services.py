"""Helpers over the request's registry session (removed by the app's teardown)."""
from .database import db_session


def publish(post):
    db_session.add(post)
    db_session.commit()
