"""What a name is: the bottom layer of the detection core.

- `names`: imports and scopes; qualified names (`sa.orm.Session` -> `sqlalchemy.orm.Session`).
- `kinds`: SQLAlchemy's kinds of objects (session, factory, registry, engine, ...).
- `module`: one module's bindings, and what each expression and name evaluates to.
- `project`: the project's own modules, found from the checked file's path and read
  (never imported), so that a name imported from them is known.
"""
