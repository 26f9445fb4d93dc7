from .meta import Base, DBSession
from .ticket import Ticket

__all__ = ["Base", "DBSession", "Ticket", "includeme"]


def includeme(config):
    DBSession.configure(bind=config.registry["engine"])
