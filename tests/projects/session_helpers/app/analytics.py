import os

from sqlalchemy import text

from app.helpers import make_factory

AnalyticsSession = make_factory(os.environ["ANALYTICS_URL"])
ANALYTICS = AnalyticsSession()  # expect: SQS101


def daily_active_users(day):
    s = AnalyticsSession()  # expect: SQS104
    return s.execute(text("SELECT COUNT(DISTINCT user_id) FROM events WHERE day = :d"), {"d": day}).scalar()


def weekly_active_users(week):
    with AnalyticsSession() as s:
        return s.execute(text("SELECT COUNT(DISTINCT user_id) FROM events WHERE week = :w"), {"w": week}).scalar()
