"""Services that do their work on the session they are handed."""
from sqlalchemy import text


class SeatService:
    def assign(self, session, seat) -> None:
        session.add(seat)
        session.commit()


seat_service = SeatService()


def record(session, event) -> None:
    session.execute(text("INSERT INTO events VALUES (:e)"), {"e": event})


def safe_record(session, event) -> None:
    try:
        session.execute(text("INSERT INTO events VALUES (:e)"), {"e": event})
    except Exception:
        session.rollback()
        raise


def describe(session, event) -> str:
    return f"{event} on {session.bind}"
