"""HTTP clients for the services we call."""
from httpx import AsyncClient as Session

__all__ = ["Session", "INVENTORY_URL"]

INVENTORY_URL = "http://inventory.internal/api"
