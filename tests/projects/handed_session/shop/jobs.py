"""Handlers around work that a service does on the session handed to it."""
import logging

from shop import services
from shop.db import SessionLocal
from shop.services import record, seat_service

log = logging.getLogger(__name__)


def assign_all(seats) -> None:
    with SessionLocal() as session:
        for seat in seats:
            try:
                seat_service.assign(session, seat)
            except Exception:  # expect: SQS301
                log.exception("seat %s", seat)


def track(session, event) -> None:
    try:
        record(session, event)
    except Exception:  # expect: SQS301
        pass
    session.commit()


def track_through_the_module(session, event) -> None:
    try:
        services.record(session, event)
    except Exception:  # expect: SQS301
        pass
    session.commit()


def track_safely(session, event) -> None:
    try:
        services.safe_record(session, event)  # rolls back before it re-raises
    except Exception:
        pass
    session.commit()


def explain(session, event) -> str:
    try:
        return services.describe(session, event)  # no work on the session
    except Exception:
        return ""
