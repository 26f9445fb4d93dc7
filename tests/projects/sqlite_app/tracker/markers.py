"""Markers are saved one by one on the caller's session."""
from tracker.upgrade import add_marker


def mark_all(session, markers):
    for marker in markers:
        add_marker(session, marker)
