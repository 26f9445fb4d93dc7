import time

from config import make_session


def new_session():
    return make_session()


def timed(fn):
    def wrapper(*args, **kwargs):
        start = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            print(f"{fn.__name__}: {time.monotonic() - start:.1f}s")
    return wrapper
