"""A shopping cart kept in Redis for the length of a visit."""
import json


class CartSession:
    def __init__(self, redis, user_id):
        self.redis = redis
        self.key = f"cart:{user_id}"
        self.items = json.loads(redis.get(self.key) or "{}")

    def add(self, sku, quantity=1):
        self.items[sku] = self.items.get(sku, 0) + quantity

    def delete(self, sku):
        self.items.pop(sku, None)

    def commit(self):
        self.redis.set(self.key, json.dumps(self.items), ex=3600)

    def execute(self, command):
        return command(self.items)
