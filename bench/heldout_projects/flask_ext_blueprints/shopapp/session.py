"""Server-side visitor sessions kept in Redis (Flask's session interface)."""
import redis

_redis = redis.Redis()


def delete(sid):
    _redis.delete(f"session:{sid}")


def execute(sid, command):
    return _redis.execute_command(command, f"session:{sid}")
