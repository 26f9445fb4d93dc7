"""Imports a name from each module that cannot be summarised: each stays unknown."""
import logging

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from binary_mod import SessionLocal as BinarySession
from broken import SessionLocal as BrokenSession
from cycle_a import SessionLocal as CycleSession
from dir_mod import SessionLocal as DirSession
from huge_mod import SessionLocal as HugeSession
from latin1_mod import SessionLocal as Latin1Session
from loop_mod import SessionLocal as LoopSession
from unreadable_mod import SessionLocal as UnreadableSession

log = logging.getLogger(__name__)

engine = create_engine("mysql+pymysql://app@db/app")  # expect: SQS201
shared = Session(engine)  # expect: SQS101

binary = BinarySession()
broken = BrokenSession()
cycle = CycleSession()
directory = DirSession()
huge = HugeSession()
latin1 = Latin1Session()
loop = LoopSession()
unreadable = UnreadableSession()


def report_binary():
    s = BinarySession()
    return s.execute("SELECT 1").all()


def report_broken():
    s = BrokenSession()
    return s.execute("SELECT 1").all()


def report_cycle():
    s = CycleSession()
    return s.execute("SELECT 1").all()


def report_dir():
    s = DirSession()
    return s.execute("SELECT 1").all()


def report_huge():
    s = HugeSession()
    return s.execute("SELECT 1").all()


def report_latin1():
    s = Latin1Session()
    return s.execute("SELECT 1").all()


def report_loop():
    s = LoopSession()
    return s.execute("SELECT 1").all()


def report_unreadable():
    s = UnreadableSession()
    return s.execute("SELECT 1").all()


def swallowed(session):
    try:
        session.commit()
    except Exception:  # expect: SQS301
        log.exception("commit failed")


def swallowed_unknown():
    db = HugeSession()
    try:
        db.commit()
    except Exception:
        log.exception("commit failed")
    db.close()


def never_closed():
    s = Session(engine)  # expect: SQS104
    s.execute("SELECT 1")
