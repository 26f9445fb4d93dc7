from flask_login import UserMixin

from shop.extensions import db


class Base(db.Model):
    __abstract__ = True


class Customer(UserMixin, Base):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))


class Search:
    """Not a model: its `query` is a string."""

    query = "*"
