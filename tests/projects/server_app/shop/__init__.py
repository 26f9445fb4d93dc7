"""A web shop: a server database in production, SQLite in its tests."""
