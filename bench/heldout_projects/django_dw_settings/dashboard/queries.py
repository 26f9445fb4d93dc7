from django.conf import settings
from sqlalchemy import text

conn = settings.DW_ENGINE.connect()  # expect: SQS102


def funnel_steps():
    dw = settings.DW_MAKER()  # expect: SQS104
    return [list(r) for r in dw.execute(text("SELECT step, users FROM funnel ORDER BY step"))]


def cohort(month):
    with settings.DW_MAKER() as dw:
        return dw.execute(text("SELECT * FROM cohorts WHERE month = :m"), {"m": month}).all()
