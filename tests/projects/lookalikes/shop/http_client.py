"""The payment provider's HTTP API, with retries and our API key."""
from requests import Session
from requests.adapters import HTTPAdapter

__all__ = ["Session", "API_URL", "mount_retries"]

API_URL = "https://api.payments.example.com/v2"


def mount_retries(session, retries=3):
    session.mount("https://", HTTPAdapter(max_retries=retries))
    return session
