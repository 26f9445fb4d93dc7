"""A desktop tracker whose only database is one SQLite file (FlexGet's shape)."""
