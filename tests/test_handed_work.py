"""SQS301 on work that a function does on a session handed to it through other functions
(`rollback._MAX_HANDED`): `lookup` hands its session to `outer`, which hands it to `inner`, which
queries it; in one module or across the project's modules."""
from __future__ import annotations

from conftest import sqs301_at as findings
from conftest import write


def test_the_work_on_a_handed_session_is_followed_three_functions_deep(tmp_path):
    """`lookup` hands its session to `f1`, which hands it on to `f2`, ... the last queries it: the
    work of a chain of three functions is seen, of four is not (`rollback._MAX_HANDED`)."""

    def chain(length: int) -> str:
        functions = "".join(f"def f{i}(session, tx):\n    return f{i + 1}(session, tx)\n\n\n" for i in range(1, length))
        functions += f"def f{length}(session, tx):\n    return session.query(Tx).get(tx)\n\n\n"
        return functions + (
            "def lookup(session, txs):\n    for tx in txs:\n        try:\n            f1(session, tx)\n"
            "        except Exception:\n            log('no')\n    session.commit()\n"
        )

    write(tmp_path, {"three.py": chain(3), "four.py": chain(4)})
    assert findings(tmp_path, "three.py") == [(17, 8)]
    assert findings(tmp_path, "four.py") == []
    # Across modules: each helper in a module of its own.
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'app'\n",
        "app/__init__.py": "",
        "app/inner.py": "def inner(session, tx):\n    return session.query(Tx).get(tx)\n",
        "app/outer.py": "from app.inner import inner\n\n\ndef outer(session, tx):\n    return inner(session, tx)\n",
        "app/jobs.py": (
            "from app.outer import outer\n\n\ndef lookup(session, txs):\n    for tx in txs:\n        try:\n"
            "            outer(session, tx)\n        except Exception:\n            log('no')\n    session.commit()\n"
        ),
    })
    assert findings(tmp_path, "app/jobs.py") == [(8, 8)]
