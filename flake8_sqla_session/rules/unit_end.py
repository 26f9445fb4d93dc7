"""SQS301's question about a session that a framework hands to a function and ends itself:
after the error its handler swallowed, can anything use that session before its owner ends it?

A FastAPI route gets its session from a dependency (`db: Session = Depends(get_db)`), and an
aiogram handler from a middleware (`data["session"] = session`).  When the dependency opens
the session for the request and closes it after the route (it yields inside `with
SessionLocal() as session:`, or in a `try` whose `finally` closes it), and the middleware opens
it for the update around the handler (`async with factory() as session:`), a session left in a
failed transaction ends with the request: closing it rolls back.  What may still use it is the
rest of the function itself.

So the handler is quiet only when all of these hold:

* the work is on parameters of the function, each bound only as the parameter;
* the function is a FastAPI route (`@router.post(...)`) and each such parameter comes from
  `Depends(dependency)` (as its default, in `Annotated[..., Depends(...)]`, or through a
  module-level alias of one, here or in a project module), where the dependency is a function
  of the module or the project that yields a session it closes as above; or the function is an
  aiogram handler (`@router.message(...)`, or `dp.callback_query.register(handler, ...)` in its
  module) and each parameter's name is a key that the project's middlewares (subclasses of
  aiogram's `BaseMiddleware`) set, and set only to a session opened by an enclosing `with`;
* the `try` sits in no loop of the function, and nothing of the function names the session
  after the end of the `try` body (its handlers, `finally`, what follows), nor in a nested
  function, nor calls a method of what a call handed the session made (`graph =
  make_graph(db)`, `service = Service(db)` ... `graph.run()`, `service.save()`); nor is the
  session stored away or handed to what may outlive the call: bound to another name, put in a
  container or an attribute, handed to a class whose instance no local name holds, or to a
  task (`Service(db).run()`, `create_task(...)`, `add_task(...)`, `partial(...)`).

A helper that such a function calls is read the same way: a module-level function, or a method
of a module-level class (undecorated, a classmethod or a staticmethod: a service object's
`await user_service.rename(db, ...)`, where every attribute of the method's name in the
project, read from an instance, counts as a use of it, in at most `_MAX_METHOD_MODULES`
modules), whose session is its parameter, used no more after the handler, and called (every
use of its name in the project, its tests aside, is a call) only as a statement of its own
(`await charge(db, user)`, `x = await charge(db, user)`, `return await charge(db, user)`) by
functions that hand it their own session parameter, in no loop (but one around the block that opens the session: each
round has its own) and no `with` naming the session, and use the session no more after that
statement; each of those functions is a route or a handler as above, or a
helper whose callers are read in turn (three levels up).  A caller may also open the session
itself around the call (`async with SessionLocal() as db: await helper(db)`) and use it no
more in that block.  A helper nothing in the project names (its tests aside) but in an import
of it or in quotes (`__all__`), read from the words of the files so that a call through an
alias still counts, is quiet too: its caller is not to be read (`_unused`); unless a framework
plainly hands it the session (a route, an aiogram handler, a parameter from `Depends(...)`).

When the helper's handler returns a value a caller can test (a constant, the caught exception,
a non-empty string, an instance: `return None, e`, `return False`), the caller may go on with the
session after the call, provided it binds the result (or calls the helper in an `if` test) and
tests it at once, in no `try` of its own, with an `if` that is then surely true and whose body
leaves the caller without using the session (`user, error = await rename(db, ...)` then `if
error: raise HTTPException(400)`): on the handler's path nothing after that body runs.  A body
that returns hands its own value to the caller's callers, read the same way.

A dependency (`get_current_user(db = Depends(get_db))`) is not a route: the route it serves
goes on with the same session, so its handlers are reported.  Anything not on these lists keeps
the finding.  Each function's names are read once (`_uses`), each module's references once
(`references`), each helper's callers once (for at most `sentinels.MAX_VALUES` different values
its handlers hand back; the others are asked about as unknown values), and the project's files
are read once for all the helpers (`Project.naming`), so the cost stays linear however many
handlers ask.
"""
from __future__ import annotations

import ast
import bisect
import os
import re
import weakref
from typing import TYPE_CHECKING, Callable, Hashable, Iterable, Optional

from ..context import is_project_test
from ..knowledge.kinds import ENGINES, FACTORIES, SESSIONS, Maker
from ..knowledge.module import NESTED_CODE, TRY_NODES, returns_and_yields
from ..knowledge.names import ANNOTATED, Scope, called_name, qualified_name, sa_name, single_binding
from ..knowledge.project import referencing, words_outside_imports
from .request_end import names_function, references, resolve_binding
from .sentinels import (
    Sentinel, Value, assigned_once, bound_values, bounded, handler_sentinel, sentinel_of, truth,
)

if TYPE_CHECKING:
    from ..context import Context
    from ..knowledge.module import ModuleKnowledge, TryRecord
    from ..knowledge.project import Project

_DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends"})
_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket"}
)
_AIOGRAM_EVENTS = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
        "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "poll",
        "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "message_reaction",
        "message_reaction_count", "chat_boost", "removed_chat_boost", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages", "errors",
    }
)
_REGISTERED = re.compile(
    r"\.\s*(?:" + "|".join(sorted(_AIOGRAM_EVENTS)) + r")\s*\.\s*register\s*\(\s*([A-Za-z_]\w*)\s*[,)]"
)
_BASE_MIDDLEWARES = frozenset({"aiogram.BaseMiddleware", "aiogram.dispatcher.middlewares.base.BaseMiddleware"})
# Calls whose arguments may outlive them: a task or a thread runs later, a partial is called later,
# a container or a registry keeps what it is handed (`SESSIONS.append(db)`).
_DEFERRING = frozenset(
    {
        "create_task", "ensure_future", "add_task", "start_soon", "spawn", "submit", "run_in_executor",
        "apply_async", "delay", "partial", "Thread", "Process", "Timer", "call_soon", "call_later",
        "append", "appendleft", "add", "extend", "insert", "setdefault", "update", "put", "put_nowait",
        "register", "configure", "set", "setattr",
    }
)
_MAX_HOPS = 3  # project modules an alias or a dependency is followed through
_MAX_CALLERS = 3  # helpers followed up to the function whose owner closes the session
_MAX_METHOD_MODULES = 16  # modules naming a method's name that are read for its callers
_Placed = tuple[str, str]  # a helper's class ("" for none) and kind ("function", "method", ...)
_Position = tuple[int, int]
_LAST: _Position = (1 << 62, 0)  # after every position


def owner_ends_unit(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr]
) -> bool:
    """Whether the sessions `receivers` are parameters that a FastAPI dependency or an aiogram
    middleware hands to the function of `record` and closes after it, and nothing of the function
    uses them after `handler` (see the module's docstring).  An expression too deep to read
    leaves the answer no."""
    try:
        return _owner_ends_unit(context, record, handler, receivers)
    except RecursionError:
        return False


def _owner_ends_unit(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr]
) -> bool:
    function = record.scope.node
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or record.looped or not receivers:
        return False
    names: set[str] = set()
    for receiver in receivers:
        if not isinstance(receiver, ast.Name):
            return False
        names.add(receiver.id)
    if not _handed(record.scope, function, names) or _entered(record.withs, names):
        return False
    if not _unused_after(_uses(context, function), record.node, handler, names):
        return False
    parent = record.scope.parent or context.module
    if _owns(context, context, function, parent, names):
        return True
    placed = _placed(context, function, parent)
    return placed is not None and _callers_end(
        context, context, function, placed, frozenset(names), 0, handler_sentinel(handler)
    )


def dropped_in_try(context: Context, record: TryRecord, receiver: ast.expr) -> bool:
    """Whether the work's session is made in the `try` body, by a factory or SQLAlchemy's
    `Session` class (a fresh session, not a registry's, bound to an engine or to nothing: not
    to a connection it is handed, which keeps the failed transaction), and only used there
    after that: once
    the error leaves the body, nothing can reach the failed session (the next round of a loop
    makes a new one), and dropping it returns its connection with a rollback."""
    function = record.scope.node
    if not isinstance(receiver, ast.Name) or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    binding = single_binding(record.scope.names.get(receiver.id))
    if binding is None or binding.kind != "assign" or not isinstance(binding.value, ast.Call):
        return False
    value = binding.value
    if not _fresh_session(context, value.func, record.scope) or not _own_connection(context, value, record.scope):
        return False
    body_start, body_end = _start(record.node.body[0]), _end(record.node.body[-1])
    made = (value.lineno, value.col_offset)
    if not body_start <= made <= body_end:
        return False
    uses = _uses(context, function)
    if receiver.id in uses.escaping:
        return False
    positions = uses.reaching(receiver.id)
    # Only its binding's target before the session is made, and nothing after the `try` body.
    return _count(positions, (0, 0), made) == 1 and positions[0] >= body_start and positions[-1] <= body_end


def _fresh_session(knowledge: ModuleKnowledge, func: ast.expr, scope: Scope) -> bool:
    """`SessionLocal` (a factory), `Session` (SQLAlchemy's class), or a project function that
    makes a session and keeps it nowhere."""
    kind = knowledge.classify(func, scope)
    if kind in FACTORIES:
        return True
    if isinstance(kind, Maker):
        return kind.returns in SESSIONS and not kind.owned and not kind.context
    return kind is None and sa_name(qualified_name(func, scope)) in ("Session", "AsyncSession")


def opens_own_session(knowledge: ModuleKnowledge, expr: ast.expr, scope: Scope) -> bool:
    """A `with` item's expression that opens a session of its own, which the block's exit closes:
    `with SessionLocal() as db:`, `with Session(engine) as db:`, `with get_session_with_tenant()
    as db:`; not a registry's."""
    if not isinstance(expr, ast.Call):
        return False
    kind = knowledge.classify(expr.func, scope)
    return _fresh_session(knowledge, expr.func, scope) or (
        _closing_context(knowledge, expr.func, scope) and isinstance(kind, Maker) and not kind.owned
    )


def _closing_context(knowledge: ModuleKnowledge, func: ast.expr, scope: Scope) -> bool:
    """A project context manager that hands out a session and closes it when its block ends
    (`with get_session_with_tenant() as db:`, a `@contextmanager` that yields in a `try` whose
    `finally` closes it), a registry's session too."""
    kind = knowledge.classify(func, scope)
    return isinstance(kind, Maker) and kind.returns in SESSIONS and kind.context


def _own_connection(knowledge: ModuleKnowledge, call: ast.Call, scope: Scope) -> bool:
    """Whether the session a call makes gets a connection of its own: it is bound to no
    connection (`bind=` an engine, or no `bind` at all).  One bound to a connection it is handed
    (`Session(bind=op.get_bind())`, Alembic's) leaves the failed transaction on that
    connection, which outlives the session."""
    bind = next((k.value for k in call.keywords if k.arg == "bind"), None)
    if bind is None and call.args and sa_name(qualified_name(call.func, scope)) in ("Session", "AsyncSession"):
        bind = call.args[0]  # `Session(engine)`
    if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        return False  # `**options` may bind it to anything
    return bind is None or knowledge.classify(bind, scope) in ENGINES


def _handed(scope: Scope, function: ast.FunctionDef | ast.AsyncFunctionDef, names: set[str]) -> bool:
    """Whether each of `names` is a parameter of the function, bound only as that."""
    parameters = _parameters(function)
    for name in names:
        binding = single_binding(scope.names.get(name))
        if name not in parameters or binding is None or binding.kind != "param":
            return False
    return True


def _entered(withs: Iterable[tuple[ast.With | ast.AsyncWith, bool, bool]], names: set[str]) -> bool:
    """Whether a `with` block around names one of `names` in its header: `async with db.begin():`
    ends the failed transaction itself when the block ends."""
    return any(
        isinstance(node, ast.Name) and node.id in names
        for statement, _, _ in withs for item in statement.items for node in ast.walk(item.context_expr)
    )


def _owns(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
    names: set[str],
) -> bool:
    """Whether a framework hands `function` (of `knowledge`) its parameters `names` and closes
    them after it: a FastAPI route's closing dependencies, an aiogram handler's middleware."""
    parameters = _parameters(function)
    if _is_route(function) and all(_depends_closed(knowledge, parameters[name], scope) for name in names):
        return True
    return _aiogram_handler(context, knowledge, function, scope) and names <= _middleware_keys(context, knowledge)


# ---- helpers whose every caller ends the unit ---------------------------------------------------


def _placed(
    knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, parent: Scope
) -> Optional[_Placed]:
    """Where a helper is defined, when its callers can be found by its name: `("", "function")`
    for a module-level function; the class's name and the method's kind (`"method"`,
    `"classmethod"`, `"staticmethod"`) for a method of a module-level class, undecorated or
    decorated by those only (a service object's `await user_service.rename(db, ...)`)."""
    if parent is knowledge.module:
        return ("", "function")
    if parent.kind != "class" or parent.parent is not knowledge.module or not isinstance(parent.node, ast.ClassDef):
        return None
    kinds = {d.id for d in function.decorator_list if isinstance(d, ast.Name)}
    if len(kinds) != len(function.decorator_list) or not kinds <= {"classmethod", "staticmethod"} or len(kinds) > 1:
        return None
    return (parent.node.name, next(iter(kinds), "method"))


def _callers_end(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef,
    placed: _Placed, names: frozenset[str], depth: int, sentinel: Optional[Sentinel],
) -> bool:
    """Whether the helper `function` of `knowledge` (a module-level function, or a method of a
    module-level class: `placed`) is called, and every use of it in the
    project (its tests aside) is a call, a statement of its own, in a function that hands on its
    own session there (`await helper(db, ...)`), uses it no more after that statement (or, when
    the function returns `sentinel` on the path in question, after the test of it that leaves
    the caller: `_leaving`), and either is one whose owner closes the session (`_owns`) or is
    such a helper in turn (followed `_MAX_CALLERS` deep)."""
    if depth >= _MAX_CALLERS:
        return False
    owner = f"{placed[0]}." if placed[0] else ""
    absolute = f"{knowledge.module_name}.{owner}{function.name}" if knowledge.module_name else f"{owner}{function.name}"
    memo = _memo(context).callers
    sentinel = bounded(_memo(context).asked, (absolute, names, depth), sentinel)
    key = (absolute, names, depth, sentinel)
    if key not in memo:
        memo[key] = False  # a caller that is the function itself, or a cycle of helpers: no
        memo[key] = _read_callers(context, knowledge, function, placed, absolute, names, depth, sentinel)
    return memo[key]


def _read_callers(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, placed: _Placed,
    absolute: str, names: frozenset[str], depth: int, sentinel: Optional[Sentinel],
) -> bool:
    calls = _calls_ending(context, knowledge, function, function, placed, absolute, names, depth, sentinel)
    if calls is None:
        return False
    project = knowledge.project
    if project is None or not knowledge.filename or not knowledge.module_name:
        # No project to read (a module alone, or one outside every import root): its own calls.
        return calls > 0 or _unused(context, knowledge, function, names)
    found = project.naming(function.name)
    if found is None:
        return False
    here = os.path.abspath(knowledge.filename)
    folder = project.folder() or ""
    # The other files of the project that hold the name, its tests aside.
    elsewhere = [
        (path, text) for path, text in found if os.path.abspath(path) != here and not is_project_test(path, folder)
    ]
    others = [path for path, _ in referencing(elsewhere, function.name, stars=True)]
    if placed[0] and len(others) > _MAX_METHOD_MODULES:
        return False  # a method's name many modules use: each use might be it
    for path in others:
        # What another module holds is read from its file, and so is all that its callers hold
        # in turn: worked out once per process (and forgotten when a file read for it changes),
        # not again for each checked file that asks.  The helper's parameters are part of the
        # question: an editor's buffer may change them before its file does.
        parameters = ",".join(arg.arg for arg in [*function.args.posonlyargs, *function.args.args])
        fact = f"unit-end-calls:{path}:{absolute}({parameters}):{','.join(sorted(names))}:{depth}:{sentinel!r}"
        more = project.fact(fact, lambda project, path=path: _calls_in_file(  # type: ignore[misc]
            context, project, path, function, placed, absolute, names, depth, sentinel
        ))
        if more is None:
            return False
        calls += more
    if calls:
        return True
    for path, text in elsewhere:
        # (each file's words read once per process, however many helpers ask)
        if function.name in project.fact(f"words-outside-imports:{path}", _words_of(text)):
            return False
    return _unused(context, knowledge, function, names)


def _words_of(text: str) -> Callable[[Project], frozenset[str]]:
    return lambda _project: words_outside_imports(text)


def _unused(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef,
    names: frozenset[str],
) -> bool:
    """Whether nothing uses the helper `function` of `knowledge`, whose other project files (its
    tests aside) name it only in an import of it or in quotes (`__all__`; read from their words
    by the caller, so that a call no reading of imports can place, through an alias or a path
    the project's roots do not give, still counts as a use): its module names it nowhere either.
    Such a helper (an API another program calls, one only its tests call) hands its session back
    to a caller nobody can read, which may close it or go on with it.  Not one whose session a
    framework plainly hands it and goes on with (a FastAPI dependency's session is the route's)."""
    if references(context, knowledge).get(function.name):
        return False
    return not _framework_handed(context, knowledge, function, names)


def _framework_handed(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef,
    names: frozenset[str],
) -> bool:
    """Whether a framework calls `function` and hands it the sessions `names`: a FastAPI route,
    an aiogram handler, or a parameter from `Depends(...)` (a dependency shares its session with
    the route it serves)."""
    own = knowledge.scopes.get(function)
    scope = own.parent if own is not None and own.parent is not None else knowledge.module
    if _is_route(function) or _aiogram_handler(context, knowledge, function, scope):
        return True
    parameters = _parameters(function)
    return any(name in parameters and _dependency_of(knowledge, parameters[name], scope) for name in names)


def _calls_in_file(
    context: Context, project: Project, path: str, function: ast.FunctionDef | ast.AsyncFunctionDef,
    placed: _Placed, absolute: str, names: frozenset[str], depth: int, sentinel: Optional[Sentinel],
) -> Optional[int]:
    """`_calls_ending` of the project module at `path`, read from its file (None when it cannot
    be read)."""
    other = project.knowledge(path, project.module_name_of(path))
    if other is None:
        return None
    return _calls_ending(context, other, None, function, placed, absolute, names, depth, sentinel)


def _calls_ending(
    context: Context, knowledge: ModuleKnowledge, here: Optional[ast.FunctionDef | ast.AsyncFunctionDef],
    function: ast.FunctionDef | ast.AsyncFunctionDef, placed: _Placed, absolute: str, names: frozenset[str],
    depth: int, sentinel: Optional[Sentinel],
) -> Optional[int]:
    """How many calls of the helper `absolute` (`function`; `here` when `knowledge` is its own
    module) the module holds, each ending the unit (`_call_ends`); None when a use of it is
    anything else."""
    calls = 0
    for node, scope, statement, call in references(context, knowledge).get(function.name, ()):
        knowledge.steps += 1
        named = _names_method(node, scope, function) if placed[0] else names_function(
            knowledge, node, scope, here, absolute
        )
        if named is None:
            return None
        if not named:
            continue
        if call is None or statement is None or not _call_ends(
            context, knowledge, call, statement, scope, function, placed, names, depth, sentinel
        ):
            return None
        calls += 1
    return calls


def _names_method(
    node: ast.Name | ast.Attribute, scope: Scope, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> Optional[bool]:
    """Whether `node` may name the method `function`: any attribute of its name, whatever it is
    read from (`user_service.rename`, `self.rename`, `Service().rename`), so that every
    attribute of that name in the project must be a call that ends the unit; a plain name
    that is another function, or is bound here, does not; anything else cannot be told."""
    if isinstance(node, ast.Attribute):
        return True if isinstance(node.ctx, ast.Load) else None
    if not isinstance(node.ctx, ast.Load):
        return False
    binding = single_binding(scope.lookup(node.id))
    if binding is not None and binding.kind == "def" and binding.value is not function:
        return False
    return None


def _instance(receiver: ast.expr) -> bool:
    """Whether a method is read from an instance here, not from its class: a call's result
    (`Service().rename`, `super().rename`) or a name or attribute not spelled as a class
    (`user_service.rename`, `self.users.rename`)."""
    if isinstance(receiver, ast.Call):
        return True
    spelled = receiver.id if isinstance(receiver, ast.Name) else (
        receiver.attr if isinstance(receiver, ast.Attribute) else ""
    )
    return bool(spelled) and not spelled[:1].isupper()


def _call_ends(
    context: Context, knowledge: ModuleKnowledge, call: ast.Call, statement: ast.stmt, scope: Scope,
    function: ast.FunctionDef | ast.AsyncFunctionDef, placed: _Placed, names: frozenset[str], depth: int,
    sentinel: Optional[Sentinel],
) -> bool:
    """Whether `call` of the helper `function` is the whole of `statement` (`helper(db)`,
    `await helper(db)`, `x = await helper(db)`, `return await helper(db)`), or the test of an
    `if` that leaves the caller when the helper returns its `sentinel` (`if not await
    helper(db): return`), hands it the caller's own parameters for `names`, and the caller uses
    those no more after the statement (or after the test of the helper's `sentinel` that leaves
    it: `_leaving`) and is owned (`_owns`) or a helper whose callers end the unit in turn."""
    caller = scope.node
    if scope.kind != "function" or not isinstance(caller, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if isinstance(statement, ast.If):
        value: Optional[ast.expr] = call if truth(statement.test, {}, call, sentinel) is True else None
    else:
        value = statement.value if isinstance(statement, (ast.Expr, ast.Return, ast.Assign)) else None
    if isinstance(value, ast.Await):
        value = value.value
    if value is not call or (isinstance(statement, ast.Assign) and not all(map(_plain_target, statement.targets))):
        return False
    if placed[1] == "method" and isinstance(call.func, ast.Attribute) and not _instance(call.func.value):
        return False  # `Service.rename(service, db)`: the method is not bound, its `self` is handed
    handed = _arguments(call, function, names, 1 if placed[1] in ("method", "classmethod") else 0)
    if handed is None:
        return False
    uses = _uses(context, caller)
    place = uses.places.get(id(statement))
    if place is None or _entered(((w, True, True) for w in place[1]), handed):
        return False  # in a `with` that names the session
    # From where and until where the path after the helper's handler may run in the caller, and
    # what the caller then returns to its own callers.
    if isinstance(statement, ast.If):
        leaving = _leaves(uses, statement, statement, {})
        if leaving is None:
            return False
        test = statement.test
        end, (until, passes) = (test.end_lineno or test.lineno, test.end_col_offset or 0), leaving
    else:
        end = _end(statement)
        until, passes = _leaving(uses, statement, sentinel) or (
            _LAST, sentinel if isinstance(statement, ast.Return) else None
        )
    opened = _opened_around(knowledge, scope, place[1], handed)
    if place[0] and (opened is None or any(uses.places[id(w)][0] != place[0] for w in opened[1])):
        return False  # in a loop of the caller, whose next round uses the session (not one opened in it)
    if opened is not None:  # `async with SessionLocal() as db:` around the call closes it after
        until = min(until, opened[0])
    elif not _handed(scope, caller, handed):
        return False
    if any(name in uses.escaping or _count(uses.reaching(name), end, until) for name in handed):
        return False
    if opened is not None:
        return True
    parent = scope.parent or knowledge.module
    if _owns(context, knowledge, caller, parent, handed):
        return True
    up = _placed(knowledge, caller, parent)
    return up is not None and _callers_end(context, knowledge, caller, up, frozenset(handed), depth + 1, passes)


def _leaving(
    uses: _Uses, statement: ast.stmt, sentinel: Optional[Sentinel]
) -> Optional[tuple[_Position, Optional[Sentinel]]]:
    """When the helper's call in `statement` returns `sentinel` and the caller binds the result
    (`user, error = await helper(db)`) and tests it at once, in no `try` of its own, with an
    `if` that is then surely true and whose body ends by `return` or `raise` (`if error: raise
    HTTPException(400)`, `if not user: return None`): where that body ends (nothing after it
    runs on this path), and what the caller then returns.  None when it does not."""
    if sentinel is None or not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return None
    following = uses.following.get(id(statement))
    values = bound_values(statement.targets[0], sentinel)
    if not isinstance(following, ast.If) or values is None or truth(following.test, values) is not True:
        return None
    return _leaves(uses, statement, following, values)


def _leaves(
    uses: _Uses, statement: ast.stmt, test: ast.If, values: dict[str, Value]
) -> Optional[tuple[_Position, Optional[Sentinel]]]:
    """Where the body of `test`, surely entered, leaves the caller (`return` or `raise` as its
    last statement), and what the caller then returns (`values`: what the names the result was
    bound to hold); None when it does not, or when a `try` of the caller holds `statement`
    (its handlers and `finally` would run after)."""
    last = test.body[-1]
    if id(statement) in uses.tried or not isinstance(last, (ast.Return, ast.Raise)):
        return None
    if isinstance(last, ast.Raise):
        return _end(last), None
    return _end(last), sentinel_of(last.value, None, assigned_once(test.body[:-1]), values)


def _opened_around(
    knowledge: ModuleKnowledge, scope: Scope, withs: _Withs, names: set[str]
) -> Optional[tuple[_Position, list[ast.With | ast.AsyncWith]]]:
    """Where the first of the `with` blocks that open the sessions `names` around a statement
    ends (`with SessionLocal() as db:`, the innermost that binds each name, making a fresh
    session; the name bound by such blocks only): its exit closes them; and those blocks.
    None when one of them is not opened so."""
    end: Optional[_Position] = None
    openers: list[ast.With | ast.AsyncWith] = []
    for name in names:
        bindings = scope.names.get(name)
        if not bindings or any(b.kind != "with" for b in bindings):
            return None
        opening = next(
            (
                (statement, item) for statement in reversed(withs) for item in statement.items
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name
            ),
            None,
        )
        if opening is None:
            return None
        statement, item = opening
        if not isinstance(item.context_expr, ast.Call) or not (
            _fresh_session(knowledge, item.context_expr.func, scope)
            or _closing_context(knowledge, item.context_expr.func, scope)  # a registry's too: it is closed
        ):
            return None
        end = _end(statement) if end is None else min(end, _end(statement))
        openers.append(statement)
    return None if end is None else (end, openers)


def _arguments(
    call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef, names: frozenset[str], bound: int = 0
) -> Optional[set[str]]:
    """The names the call hands to the parameters `names` of `function` (each a plain name of
    the caller), the first `bound` of them handed by the call's receiver (a method's `self`);
    None when one is handed anything else, or cannot be placed (`*args`)."""
    positional = [arg.arg for arg in [*function.args.posonlyargs, *function.args.args]][bound:]
    handed: set[str] = set()
    for name in names:
        value: Optional[ast.expr] = None
        index = positional.index(name) if name in positional else -1
        if 0 <= index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            value = call.args[index]
        else:
            for keyword in call.keywords:
                if keyword.arg == name:
                    value = keyword.value
                elif keyword.arg is None:
                    return None  # `**kwargs` may hand it
        if not isinstance(value, ast.Name):
            return None
        handed.add(value.id)
    return handed


def carried_on(
    context: Context, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, after: int, until: int
) -> bool:
    """Whether `function` may hand on what `name` holds (`_escapes`: stored, returned, in nested
    code ...), or calls, on a line after `after` and not after `until`, a method of what a call
    handed `name` made (`graph = make_graph(session)` ... `graph.run()`)."""
    uses = _uses(context, function)
    if name in uses.escaping:
        return True
    lines = uses.carried.get(name)
    if lines is None:  # sorted once per name, however many handlers ask
        lines = uses.carried[name] = sorted(
            line for carrier in uses.carriers.get(name, ()) for line, _ in uses.methods.get(carrier, ())
        )
        context.steps += 1 + len(lines)
    return bisect.bisect_right(lines, until) > bisect.bisect_right(lines, after)


def _unused_after(uses: _Uses, statement: ast.Try, handler: ast.ExceptHandler, names: set[str]) -> bool:
    """Whether nothing of the function names `names` after the `try` body, where it may run after
    `handler`: in the rest of the `try` statement, and below it unless the handler returns; then
    in the `finally` blocks of the `try` statements around it, which run on the way out."""
    body_end = _end(statement.body[-1])
    statement_end = _end(statement)
    returns = bool(handler.body) and isinstance(handler.body[-1], ast.Return)
    for name in names:
        if name in uses.escaping:
            return False
        positions = uses.reaching(name)
        if _count(positions, body_end, statement_end):
            return False
        if not returns:
            if _count(positions, statement_end, _LAST):
                return False
            continue
        for outer in uses.enclosing.get(id(statement), ()):
            if outer.finalbody and _count(positions, _start(outer.finalbody[0]), _end(outer.finalbody[-1])):
                return False
    return True


def _start(node: ast.stmt) -> _Position:
    return (node.lineno, node.col_offset)


def _end(node: ast.stmt) -> _Position:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _count(positions: list[_Position], after: _Position, until: _Position) -> int:
    """How many of the sorted `positions` are after `after` and not after `until`."""
    return bisect.bisect_right(positions, until) - bisect.bisect_right(positions, after)


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, tuple[ast.arg, Optional[ast.expr]]]:
    """Each parameter by name, with its default (None when it has none)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[Optional[ast.expr]] = [None] * (len(positional) - len(arguments.defaults))
    found = {arg.arg: (arg, default) for arg, default in zip(positional, [*defaults, *arguments.defaults])}
    found.update((arg.arg, (arg, default)) for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults))
    return found


class _Uses:
    """Where a function reads its names: each name's positions outside nested code (sorted),
    the names that may escape the call (`_escapes`) or appear in nested code; for each `try`
    statement the `try` statements around it; for each statement whether a loop of the
    function holds it, and the `with` statements around it."""

    def __init__(self) -> None:
        self.positions: dict[str, list[_Position]] = {}
        self.escaping: set[str] = set()
        # names stored away or handed to a deferring call, with where (`_stored`)
        self.stored: dict[str, set[str]] = {}
        self.enclosing: dict[int, tuple[ast.Try, ...]] = {}
        # how many loops of the function hold the statement, and the `with` statements around it
        self.places: dict[int, tuple[int, tuple[ast.With | ast.AsyncWith, ...]]] = {}
        # What a call handed a name made may hold it (`graph = make_graph(session)`): the names
        # bound to such a call's result, for each name handed, and where each name has a
        # method called on it (`graph.run()`).
        self.carriers: dict[str, set[str]] = {}
        self.methods: dict[str, list[_Position]] = {}
        self.carried: dict[str, list[int]] = {}  # the lines of those method calls for each name handed (`carried_on`)
        # The statement after each in its block, and the statements any `try` of the function holds.
        self.following: dict[int, ast.stmt] = {}
        self.tried: set[int] = set()
        self._reaching: dict[str, list[_Position]] = {}

    def reaching(self, name: str) -> list[_Position]:
        """Where the function may reach what `name` holds (sorted): where it names it, and where
        it calls a method of what a call handed it made."""
        found = self._reaching.get(name)
        if found is None:
            found = [*self.positions.get(name, ())]
            for carrier in self.carriers.get(name, ()):
                found += self.methods.get(carrier, ())
            found.sort()
            self._reaching[name] = found
        return found


class _Memo:
    def __init__(self) -> None:
        self.uses: dict[int, _Uses] = {}
        self.keys: dict[int, frozenset[str]] = {}  # id(module's knowledge) -> `_middleware_keys`
        self.registered: dict[int, frozenset[str]] = {}  # id(module's knowledge) -> `_registered`
        self.registrations: dict[int, list[tuple[ast.Name, Scope]]] = {}  # id(module's knowledge) -> ...
        # (helper, its parameters, how many callers up, the sentinel it returns) -> `_callers_end`
        self.callers: dict[tuple[str, frozenset[str], int, Optional[Sentinel]], bool] = {}
        self.asked: dict[Hashable, set[Hashable]] = {}  # a helper -> the sentinels asked about it (`bounded`)


_MEMOS: weakref.WeakKeyDictionary[Context, _Memo] = weakref.WeakKeyDictionary()


def _memo(context: Context) -> _Memo:
    found = _MEMOS.get(context)
    if found is None:
        found = _MEMOS[context] = _Memo()
    return found


_Withs = tuple[ast.With | ast.AsyncWith, ...]


def _uses(context: Context, function: ast.FunctionDef | ast.AsyncFunctionDef) -> _Uses:
    """What `_Uses` tells of one function: one walk of it, whatever the number of its handlers
    and calls asked about."""
    memo = _memo(context).uses
    found = memo.get(id(function))
    if found is not None:
        return found
    found = memo[id(function)] = _Uses()
    positions = found.positions
    following = found.following
    following.update((id(a), b) for a, b in zip(function.body, function.body[1:]))
    # (node, its parent, the statement holding it, whether it is in nested code, the tries around
    # it, how many loops hold it, the `with` statements around it)
    stack: list[
        tuple[ast.AST, Optional[ast.AST], Optional[ast.stmt], bool, tuple[ast.Try, ...], int, _Withs]
    ] = [(statement, None, statement, False, (), 0, ()) for statement in reversed(function.body)]
    while stack:
        node, parent, statement, nested, tries, looped, withs = stack.pop()
        context.steps += 1
        if isinstance(node, ast.Name):
            if nested or _escapes(node, parent, statement):
                found.escaping.add(node.id)
            receiver = _stored(node, parent, statement)
            if receiver is not None:
                found.stored.setdefault(node.id, set()).add(receiver)
            if not nested:
                positions.setdefault(node.id, []).append((node.lineno, node.col_offset))
            continue
        inner = nested or isinstance(node, NESTED_CODE)
        if isinstance(node, ast.stmt):
            statement = node
            if not inner:
                found.places[id(node)] = (looped, withs)
                if tries:
                    found.tried.add(id(node))
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    _carry(node, found.carriers)
        elif (
            not inner and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and isinstance(parent, ast.Call) and parent.func is node
        ):
            found.methods.setdefault(node.value.id, []).append((node.lineno, node.col_offset))
        if not inner:
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if isinstance(block, list):
                    following.update((id(a), b) for a, b in zip(block, block[1:]))
            if isinstance(node, TRY_NODES):
                found.enclosing[id(node)] = tries
                tries = (*tries, node)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                looped += 1  # (its `else:` too: a rare place for session work)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                withs = (*withs, node)
        for child in ast.iter_child_nodes(node):
            # A keyword's value is read as an argument of its call.
            stack.append(
                (child, parent if isinstance(node, ast.keyword) else node, statement, inner, tries, looped, withs)
            )
    for listed in positions.values():
        listed.sort()
    # What a call handed a name made, stored away or handed to a deferring call, takes that
    # name's value along (`RUNNING.append(service)`); not when it is stored in that value itself
    # (`session.add(connector)`).
    for name, carriers in found.carriers.items():
        if any(receiver != name for carrier in carriers for receiver in found.stored.get(carrier, ())):
            found.escaping.add(name)
    return found


def _carry(statement: ast.Assign | ast.AnnAssign, carriers: dict[str, set[str]]) -> None:
    """`graph = make_graph(session, ...)`, `service = Service(session)`: `graph` and `service`
    may hold `session`.  The names a result is unpacked to (`created, updated = await
    sync(db)`) are taken for values, not for what holds the session."""
    value = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
    if not isinstance(value, ast.Call):
        return
    handed = [a.id for a in (*value.args, *(k.value for k in value.keywords)) if isinstance(a, ast.Name)]
    if not handed:
        return
    targets = list(statement.targets) if isinstance(statement, ast.Assign) else [statement.target]
    bound = {target.id for target in targets if isinstance(target, ast.Name)}
    for name in handed:
        carriers.setdefault(name, set()).update(bound)


def _escapes(node: ast.Name, parent: Optional[ast.AST], statement: Optional[ast.stmt]) -> bool:
    """Whether this reading of a name may hand what it names to something that outlives the
    call or uses it later under another name: the name itself (not `name.attribute`) bound to
    another name or stored, put in a container, returned or yielded, entered by `with`, or
    handed to a class (but one whose instance a local name holds: `service = Service(db)`, then
    read as what it made, `_carry`), a deferring call, or a call whose result is stored in an
    attribute or an item."""
    if not isinstance(node.ctx, ast.Load):
        return False  # binding it (each rule asks for the one binding it reads)
    if parent is None or isinstance(parent, (ast.Attribute, ast.Compare, ast.BoolOp, ast.UnaryOp)):
        return False  # `db.commit()`, `db is None`, `not db`
    if isinstance(parent, ast.Call) and node is not parent.func:
        name = called_name(parent.func)
        if name is None or name in _DEFERRING:
            return True
        if name[:1].isupper():
            value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
            return not (
                isinstance(value, ast.Call) and value is parent and isinstance(statement, (ast.Assign, ast.AnnAssign))
                and all(isinstance(t, ast.Name) for t in (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                ))
            )
        targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) else []
        )
        return not all(_plain_target(target) for target in targets)  # `self.service = Service(db)`
    if isinstance(parent, ast.Call):
        return False  # `db()`: calling it
    if isinstance(parent, ast.Await):
        return False
    return True


def _stored(node: ast.Name, parent: Optional[ast.AST], statement: Optional[ast.stmt]) -> Optional[str]:
    """Where this reading of a name stores what it names so that it outlives the call: in an
    attribute or an item (`self.service = service`: ""), or through a call that keeps or
    defers what it is handed (`RUNNING.append(service)`: the name of what keeps it, "" when
    that is not a name); None when it does not."""
    if not isinstance(node.ctx, ast.Load):
        return None
    if isinstance(parent, ast.Call) and node is not parent.func:
        if called_name(parent.func) not in _DEFERRING:
            return None
        func = parent.func
        return func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is node:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return None if all(isinstance(target, ast.Name) for target in targets) else ""
    return None


def _plain_target(target: ast.expr) -> bool:
    """A name, or a tuple or list of names (`created, updated = await sync(db)`)."""
    if isinstance(target, ast.Starred):
        target = target.value
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_plain_target(element) for element in target.elts)
    return isinstance(target, ast.Name)


# ---- FastAPI ----------------------------------------------------------------------------------


def _is_route(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`@router.post(...)`, `@app.get(...)` (whose module uses FastAPI's `Depends`, checked apart)."""
    return any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in _ROUTE_METHODS
        for d in function.decorator_list
    )


def _depends_closed(
    knowledge: ModuleKnowledge, parameter: tuple[ast.arg, Optional[ast.expr]], scope: Scope
) -> bool:
    """Whether the parameter's value comes from `Depends(dependency)` with a dependency that
    yields a session and closes it."""
    found = _dependency_of(knowledge, parameter, scope)
    if found is None:
        return False
    holder, dependency, where = found
    definition = _definition(holder, dependency, where)
    return definition is not None and _yields_closed(definition)


_Found = tuple["ModuleKnowledge", ast.expr, Scope]


def _dependency_of(
    knowledge: ModuleKnowledge, parameter: tuple[ast.arg, Optional[ast.expr]], scope: Scope
) -> Optional[_Found]:
    """The dependency a parameter's value comes from: `Depends(dependency)` as its default, or in
    its annotation (`Annotated[Session, Depends(get_db)]`, or an alias of one)."""
    arg, default = parameter
    found = _depends(knowledge, default, scope) if default is not None else None
    if found is None and arg.annotation is not None:
        found = _annotated_depends(knowledge, arg.annotation, scope)
    return found


def _depends(knowledge: ModuleKnowledge, node: ast.expr, scope: Scope) -> Optional[_Found]:
    """The dependency of `Depends(dependency)`, with the module and scope it is read in."""
    if not isinstance(node, ast.Call) or qualified_name(node.func, scope) not in _DEPENDS:
        return None
    if node.args:
        return knowledge, node.args[0], scope
    for keyword in node.keywords:
        if keyword.arg == "dependency":
            return knowledge, keyword.value, scope
    return None


def _annotated_depends(
    knowledge: ModuleKnowledge, annotation: ast.expr, scope: Scope, hops: int = 0
) -> Optional[_Found]:
    """The dependency of `Annotated[Session, Depends(get_db)]`, or of a module-level alias of
    one (`SessionDep`), here or in a project module."""
    if isinstance(annotation, ast.Subscript) and qualified_name(annotation.value, scope) in ANNOTATED:
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
        for item in items[1:]:
            found = _depends(knowledge, item, scope)
            if found is not None:
                return found
        return None
    if not isinstance(annotation, ast.Name) or hops > _MAX_HOPS:
        return None
    resolved = resolve_binding(knowledge, annotation.id, scope, _MAX_HOPS)
    if resolved is None:
        return None
    other, binding = resolved
    if binding.kind == "assign" and isinstance(binding.value, ast.expr):
        return _annotated_depends(other, binding.value, other.module, hops + 1)
    return None


def _definition(
    knowledge: ModuleKnowledge, dependency: ast.expr, scope: Scope
) -> Optional[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The function a dependency names, here or in a project module."""
    if isinstance(dependency, ast.Name):
        resolved = resolve_binding(knowledge, dependency.id, scope, _MAX_HOPS)
        if resolved is None:
            return None
        binding = resolved[1]
        return binding.value if binding.kind == "def" and isinstance(
            binding.value, (ast.FunctionDef, ast.AsyncFunctionDef)
        ) else None
    callee = knowledge.callee(dependency, scope) if isinstance(dependency, ast.Attribute) else None
    return callee.node if callee is not None and not callee.bound else None


def _yields_closed(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a generator yields only names it closes: each `yield name` sits in a `with` block
    that binds `name` to a call's result (`with SessionLocal() as name:`), or in the body of a
    `try` whose `finally` closes it (`name.close()`)."""
    if function.decorator_list:
        return False  # `@contextmanager` and the like change what a dependency hands out
    _, yields = returns_and_yields(function)
    if not yields or not all(isinstance(value, ast.Name) for value in yields):
        return False
    wanted = {id(value) for value in yields}
    closed: set[int] = set()
    stack: list[tuple[list[ast.stmt], frozenset[str]]] = [(function.body, frozenset())]
    while stack:
        block, closing = stack.pop()
        for statement in block:
            if isinstance(statement, NESTED_CODE):
                continue
            value = statement.value if isinstance(statement, (ast.Expr, ast.Assign)) else None
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Yield) and isinstance(value.value, ast.Name) and id(value.value) in wanted:
                if value.value.id in closing:
                    closed.add(id(value.value))
                continue
            if isinstance(statement, (ast.With, ast.AsyncWith)):
                bound = {
                    item.optional_vars.id for item in statement.items
                    if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call)
                }
                stack.append((statement.body, closing | bound))
            elif isinstance(statement, TRY_NODES):
                stack.append((statement.body, closing | _closed_in(statement.finalbody)))
                stack += [(handler.body, closing) for handler in statement.handlers]
                stack += [(statement.orelse, closing), (statement.finalbody, closing)]
            else:
                stack += [
                    (child, closing)
                    for child in (getattr(statement, "body", None), getattr(statement, "orelse", None))
                    if isinstance(child, list)
                ]
    return closed == wanted


def _closed_in(block: list[ast.stmt]) -> frozenset[str]:
    """The names a `finally` block closes as its own statements (`name.close()`, awaited or not)."""
    names = set()
    for statement in block:
        value = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(value, ast.Await):
            value = value.value
        if (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "close"
            and isinstance(value.func.value, ast.Name)
        ):
            names.add(value.func.value.id)
    return frozenset(names)


# ---- aiogram ----------------------------------------------------------------------------------


def _aiogram_handler(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope
) -> bool:
    """A module-level function of a module (`knowledge`) that imports aiogram, decorated as a
    handler (`@router.message(...)`) or registered as one (`dp.callback_query.register(function,
    ...)`, in its module or another)."""
    if scope is not knowledge.module or not knowledge.imports_package("aiogram"):
        return False
    if any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in _AIOGRAM_EVENTS
        for d in function.decorator_list
    ):
        return True
    binding = single_binding(knowledge.module.names.get(function.name))
    if binding is None or binding.value is not function:
        return False
    return function.name in _registered(context, knowledge) or _registered_elsewhere(context, knowledge, function)


def _registered(context: Context, knowledge: ModuleKnowledge) -> frozenset[str]:
    """The names a module registers as aiogram handlers (`dp.message.register(name, ...)`): read
    from the checked module's text, or from another module's tree."""
    memo = _memo(context).registered
    found = memo.get(id(knowledge))
    if found is None:
        if knowledge is context and context.source is not None:
            found = frozenset(match.group(1) for match in _REGISTERED.finditer(context.source))
        else:
            found = frozenset(node.id for node, _ in _registrations(context, knowledge))
        memo[id(knowledge)] = found
    return found


def _registered_elsewhere(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> bool:
    """Whether a project module (its tests aside) registers this module's `function` as an aiogram
    handler, having imported it (`from .cryptobot import check_status` ...
    `dp.callback_query.register(check_status, ...)`), its imports followed as `names_function`
    follows them."""
    project = knowledge.project
    if project is None or not knowledge.filename or not knowledge.module_name:
        return False
    registering = project.fact("aiogram-registered", _project_registrations)
    if registering is None:
        return False
    absolute = f"{knowledge.module_name}.{function.name}"
    folder = project.folder() or ""
    for path in registering.get(function.name, ()):
        if is_project_test(path, folder):
            continue
        other = project.knowledge(path, project.module_name_of(path))
        if other is None:
            continue
        for node, scope in _registrations(context, other):
            if node.id == function.name and names_function(other, node, scope, None, absolute):
                return True
    return False


def _project_registrations(project: Project) -> Optional[dict[str, tuple[str, ...]]]:
    """The project files that register a name as an aiogram handler (`.message.register(name`),
    by that name; one scan of the project's files for the process (kept as tuples, which the
    garbage collector stops tracking)."""
    files = project.files_mentioning((".register(",))
    if files is None:
        return None
    found: dict[str, list[str]] = {}
    for path, text in files:
        for name in {match.group(1) for match in _REGISTERED.finditer(text)}:
            found.setdefault(name, []).append(path)
    return {name: tuple(paths) for name, paths in found.items()}


def _registrations(context: Context, knowledge: ModuleKnowledge) -> list[tuple[ast.Name, Scope]]:
    """The names a module registers as aiogram handlers, each with the scope it is read in: one
    walk of the module while the checked file is read."""
    memo = _memo(context).registrations
    found = memo.get(id(knowledge))
    if found is not None:
        return found
    found = memo[id(knowledge)] = []
    stack: list[tuple[ast.AST, Scope]] = [(knowledge.tree, knowledge.module)]
    while stack:
        node, scope = stack.pop()
        knowledge.steps += 1
        scope = knowledge.scopes.get(node, scope)
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register"
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in _AIOGRAM_EVENTS
            and node.args and isinstance(node.args[0], ast.Name)
        ):
            found.append((node.args[0], scope))
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))
    return found


def _middleware_keys(context: Context, knowledge: ModuleKnowledge) -> frozenset[str]:
    """The keys of aiogram's `data` that the middlewares of a module (`knowledge`) and of the
    project set to a session opened around the handler, and never to anything else."""
    memo = _memo(context).keys
    found = memo.get(id(knowledge))
    if found is None:
        safe, unsafe = _module_keys(knowledge)
        project = knowledge.project
        if project is not None and knowledge.filename:
            read = project.fact("aiogram-middleware-keys", _project_keys)
            if read is not None:
                safe, unsafe = safe | read[0], unsafe | read[1]
        found = memo[id(knowledge)] = frozenset(safe - unsafe)
    return found


def _project_keys(project: Project) -> Optional[tuple[set[str], set[str]]]:
    """`_module_keys` of every project module that names `BaseMiddleware` (its tests aside)."""
    files = project.mentions("BaseMiddleware")
    if files is None:
        return None
    folder = project.folder() or ""
    safe: set[str] = set()
    unsafe: set[str] = set()
    for path, _ in files:
        knowledge = None if is_project_test(path, folder) else project.knowledge(path, project.module_name_of(path))
        if knowledge is not None:
            more_safe, more_unsafe = _module_keys(knowledge)
            safe |= more_safe
            unsafe |= more_unsafe
    return safe, unsafe


def _module_keys(knowledge: ModuleKnowledge) -> tuple[set[str], set[str]]:
    """The keys of `data` that the module's middlewares set to a session opened by an enclosing
    `with` (`async with factory() as session: data["session"] = session`), and those they set
    to anything else."""
    safe: set[str] = set()
    unsafe: set[str] = set()
    for statement in knowledge.tree.body:
        if not isinstance(statement, ast.ClassDef) or not any(
            qualified_name(base, knowledge.module) in _BASE_MIDDLEWARES for base in statement.bases
        ):
            continue
        for method in statement.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method.name != "__call__":
                continue
            arguments = [a.arg for a in method.args.args]
            data = arguments[3] if len(arguments) > 3 else "data"
            stack: list[tuple[list[ast.stmt], frozenset[str]]] = [(method.body, frozenset())]
            while stack:
                block, opened = stack.pop()
                for node in block:
                    knowledge.steps += 1
                    if isinstance(node, NESTED_CODE):
                        continue
                    if isinstance(node, ast.Assign):
                        for target in node.targets:
                            if (
                                isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                                and target.value.id == data and isinstance(target.slice, ast.Constant)
                                and isinstance(target.slice.value, str)
                            ):
                                value = node.value
                                key = target.slice.value
                                (safe if isinstance(value, ast.Name) and value.id in opened else unsafe).add(key)
                    inner = opened
                    if isinstance(node, (ast.With, ast.AsyncWith)):
                        inner = opened | {
                            item.optional_vars.id for item in node.items
                            if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call)
                        }
                    for field in ("body", "orelse", "finalbody"):
                        child = getattr(node, field, None)
                        if isinstance(child, list):
                            stack.append((child, inner))
                    if isinstance(node, TRY_NODES):
                        stack += [(handler.body, inner) for handler in node.handlers]
    return safe, unsafe
