"""Signed-cookie visitor session: the web kind, nothing to do with the database."""
import hmac
import json

_store = {}


def load(cookie):
    return _store.get(cookie, {})


def delete(cookie):
    _store.pop(cookie, None)


def flush(cookie, data, secret):
    signature = hmac.new(secret, json.dumps(data).encode(), "sha256").hexdigest()
    _store[cookie] = dict(data, _sig=signature)
