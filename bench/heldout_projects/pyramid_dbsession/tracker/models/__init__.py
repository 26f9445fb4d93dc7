from sqlalchemy import Column, Integer, String, Text

from .meta import Base, DBSession

__all__ = ["Base", "DBSession", "Ticket", "includeme"]


class Ticket(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False, unique=True)
    body = Column(Text)
    state = Column(String(16), default="open")


def includeme(config):
    DBSession.configure(bind=config.registry["engine"])
