"""Hidden tests run in a kernel of their own, which the learner's code never reaches.

Why: nbgrader runs the tests in the learner's kernel, after the learner's code has had the
interpreter. One line of learner code can then rewrite later cells (input or AST
transformers, a patched ``run_cell``), compare equal to anything, print a fake result before
each test, trace the hidden asserts while they run, patch a course module in memory or shadow a
library with an uploaded file. So the grader keeps two kernels per notebook, each in its own
sandbox with an empty, private working folder:

- the **learner kernel** runs the learner's cells and the lesson's cells, as learners ran them;
- the **test kernel** starts fresh and imports the course code anew. Before each test cell it
  runs the lesson cells that the test needs, taken from the *release* (what learners received,
  not what they sent), receives the learner's answers as plain data (:mod:`.answers`), and then
  runs the test cell. A learner's function is called from there: the call and its result
  cross as data through the grader.

Which names a test needs, which lesson cells define them and which names are answers (defined
by a solution cell of the source notebook) is read from the code itself (:class:`HiddenTestPlan`).
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import builtins
import json
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_core.utils import run_sync
from traitlets import Unicode

from ..paths import GradingCourse
from . import answers
from .sandbox import SKIP_SLOW_IMPORT, GuardedExecute, error_output

_BUILTINS = set(dir(builtins)) | {"In", "Out", "get_ipython", "display", "exit", "quit"}
_ANSWERS = "__import__('servicecourse.grading.answers', fromlist=['answers'])"


# --- reading the code ----------------------------------------------------------------------------


def _python(source: str) -> ast.Module | None:
    """The cell as Python (IPython's magics turned into calls), or None if it does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
# Methods that change their object in place; pandas' in-place methods take inplace=True.
_MUTATORS = {
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "clear",
    "update",
    "sort",
    "reverse",
    "add",
    "discard",
    "setdefault",
    "popitem",
    "difference_update",
    "intersection_update",
}


def _children(node: ast.AST):
    """Child nodes in this scope (a nested function's or class's body is another scope)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, _SCOPES):
            yield from _children(child)


def bound_names(tree: ast.AST | None) -> set[str]:
    """Names a piece of code binds in its own scope: assignments, imports, defs, loops."""
    if tree is None:
        return set()
    names = set()
    for node in [tree, *_children(tree)]:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def changed_names(tree: ast.AST | None) -> set[str]:
    """Names whose object a piece of code changes in place: ``t["x"] = …``, ``t.x = …``,
    ``items.append(…)``, ``frame.drop(…, inplace=True)``."""
    if tree is None:
        return set()
    names = set()
    for node in [tree, *_children(tree)]:
        if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(
            node.ctx, ast.Store | ast.Del
        ):
            names |= _root(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inplace = any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value
                for k in node.keywords
            )
            if inplace or node.func.attr in _MUTATORS:
                names |= _root(node.func.value)
    return names


def defined_names(tree: ast.AST | None) -> set[str]:
    """Names a statement binds or changes: a test reading them needs the statement."""
    return bound_names(tree) | changed_names(tree)


def _root(node: ast.AST) -> set[str]:
    while isinstance(node, ast.Subscript | ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def used_names(tree: ast.AST | None) -> set[str]:
    """Names a piece of code reads from outside: not built in, not its functions' locals."""
    if tree is None:
        return set()
    return _free(tree) - _BUILTINS


def read_before_bound(tree: ast.AST | None) -> set[str]:
    """Names a cell reads before it binds them, statement by statement: a test that
    normalises an answer (``answer = answer.strip().lower()``) still needs the learner's."""
    if tree is None:
        return set()
    body = tree.body if isinstance(tree, ast.Module) else [tree]
    needed: set[str] = set()
    bound: set[str] = set()
    for statement in body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
            needed |= used_names(statement.value) - bound  # the value is read first
        elif isinstance(statement, ast.AugAssign):
            needed |= (used_names(statement.value) | bound_names(statement.target)) - bound
        else:  # loops, with, defs: what they bind, they bind before reading it
            needed |= used_names(statement) - bound - bound_names(statement)
        bound |= bound_names(statement)
    return needed


def _free(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) else set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = node.args
        params = {
            a.arg
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            if a is not None
        }
        body = node.body if isinstance(node.body, list) else [node.body]
        inner = set().union(*(_free(n) for n in body)) if body else set()
        local = params | set().union(*(bound_names(n) for n in body))
        outer = [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
        outer += getattr(node, "decorator_list", [])
        return (
            (inner - local) | set().union(*(_free(n) for n in outer)) if outer else (inner - local)
        )
    if isinstance(node, _COMPREHENSIONS):
        targets = set().union(*(bound_names(g.target) for g in node.generators))
        inner = set().union(*(_free(child) for child in ast.iter_child_nodes(node)))
        return inner - targets
    return (
        set().union(*(_free(child) for child in ast.iter_child_nodes(node)))
        if any(True for _ in ast.iter_child_nodes(node))
        else set()
    )


def _split_imports(statement: ast.stmt) -> list[ast.stmt]:
    """``from m import a, b`` as one import per name: a test needing ``a`` does not pay for
    importing ``b`` (plotting libraries, say)."""
    if isinstance(statement, ast.Import) and len(statement.names) > 1:
        return [ast.Import(names=[alias]) for alias in statement.names]
    if isinstance(statement, ast.ImportFrom) and len(statement.names) > 1:
        return [
            ast.ImportFrom(module=statement.module, names=[alias], level=statement.level)
            for alias in statement.names
        ]
    return [statement]


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if "### " not in line)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    meta = _meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


@dataclass
class _Statement:
    """One top-level statement of a lesson cell: the unit the test kernel runs."""

    position: tuple[int, int, int]  # (cell, statement, name of a split import)
    source: str
    defines: set[str]
    uses: set[str]


@dataclass
class Needs:
    """What a test cell needs before it runs in the test kernel."""

    lesson_cells: list[_Statement] = field(default_factory=list)
    from_learner: list[str] = field(default_factory=list)


class HiddenTestPlan:
    """Which names each test reads, and where they come from: the lesson's statements (run in
    the test kernel, from the release) or the learner (sent as data).

    Statements, not whole cells: a test that needs ``pd`` runs ``import pandas as pd`` only,
    not the plotting imports and figures of the same cell.
    """

    def __init__(self, release: nbformat.NotebookNode, source: nbformat.NotebookNode | None):
        self.answers: set[str] = set()
        for cell in (source or release).cells:
            if cell.cell_type == "code" and _meta(cell).get("solution"):
                self.answers |= bound_names(_python(_strip_markers(cell.source)))
        self.lesson: list[_Statement] = []
        self.test_position: dict[str, int] = {}
        for position, cell in enumerate(release.cells):
            if cell.cell_type != "code":
                continue
            meta = _meta(cell)
            if is_test_cell(cell):
                self.test_position[meta.get("grade_id", "")] = position
            elif not meta.get("solution"):
                tree = _python(cell.source)
                for index, statement in enumerate(tree.body if tree else []):
                    for part, piece in enumerate(_split_imports(statement)):
                        self.lesson.append(
                            _Statement(
                                (position, index, part),
                                ast.unparse(piece),
                                defined_names(piece),
                                used_names(piece),
                            )
                        )
        self.ran: set[tuple[int, int, int]] = set()
        self.defined_by_tests: set[str] = set()

    def needs(self, grade_id: str, test_source: str) -> Needs:
        """The lesson statements still to run and the learner's names to fetch, for one test."""
        tree = _python(test_source)
        before = (self.test_position.get(grade_id, 10**9), 0, 0)
        chosen: dict[tuple[int, int, int], _Statement] = {}
        from_learner: set[str] = set()
        seen: set = set()
        stack = [(name, before) for name in sorted(read_before_bound(tree))]
        while stack:
            name, limit = stack.pop()
            if (name, limit) in seen:
                continue
            seen.add((name, limit))
            if name in self.answers:
                from_learner.add(name)
                continue
            # Every statement before the limit that binds or changes the name, up to the last
            # one that binds it anew.
            found = False
            for statement in reversed(self.lesson):
                if statement.position >= limit or name not in statement.defines:
                    continue
                found = True
                if statement.position not in self.ran and statement.position not in chosen:
                    chosen[statement.position] = statement
                    stack += [(used, statement.position) for used in statement.uses]
                if name not in statement.uses:  # bound anew, not changed in place
                    break
            if not found and name not in self.defined_by_tests:
                from_learner.add(name)
        self.defined_by_tests |= bound_names(tree)
        statements = [chosen[p] for p in sorted(chosen)]
        self.ran |= set(chosen)
        return Needs(statements, sorted(from_learner))


# --- running it ----------------------------------------------------------------------------------


class KernelCallTimeout(Exception):
    pass


async def _execute(
    kc,
    code: str,
    *,
    timeout: float,
    silent: bool = False,
    user_expressions: dict | None = None,
    on_input=None,
) -> tuple[dict, list]:
    """Run code in a kernel; its reply and its outputs as nbformat outputs."""
    msg_id = kc.execute(
        code,
        silent=silent,
        store_history=not silent,
        user_expressions=user_expressions or {},
        allow_stdin=on_input is not None,
    )
    deadline = time.monotonic() + timeout
    outputs: list = []
    # IOPub ends with "idle" after the reply is sent; waiting on it alone is quickest. A test
    # that calls the learner's function waits for input, so then stdin is checked in between.
    poll = 0.002 if on_input is not None else 0.5
    while True:
        if time.monotonic() > deadline:
            raise KernelCallTimeout(timeout)
        if on_input is not None:
            try:
                request = await kc.get_stdin_msg(timeout=0.001)
            except Empty:
                request = None
            if request and request["parent_header"].get("msg_id") == msg_id:
                started = time.monotonic()
                kc.input(await on_input(request["content"].get("prompt", "")))
                deadline += time.monotonic() - started  # the learner's function has its own
        try:
            msg = await kc.get_iopub_msg(timeout=poll)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind == "clear_output":
            outputs.clear()
        elif kind in ("stream", "display_data", "execute_result", "error"):
            _append(outputs, nbformat.v4.output_from_msg(msg))
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise KernelCallTimeout(timeout)
        try:
            reply = await kc.get_shell_msg(timeout=remaining)
        except Empty:
            raise KernelCallTimeout(timeout) from None
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply, outputs


def _append(outputs: list, output) -> None:
    last = outputs[-1] if outputs else None
    if (
        output.output_type == "stream"
        and last is not None
        and last.output_type == "stream"
        and last.name == output.name
    ):
        last.text += output.text
    else:
        outputs.append(output)


class _TestKernel:
    """A test kernel, kept by its grading process from one notebook to the next.

    Why: it runs only trusted code (the release's lesson statements, the hidden tests) on data,
    so it may serve several learners in turn; its namespace is reset in between. Booting a
    kernel and importing pandas for every notebook is what isolation would otherwise cost.
    """

    def __init__(self, manager, client):
        self.manager, self.client = manager, client
        self.ready = False
        self.reset_needed = False

    async def stop(self):
        self.client.stop_channels()
        await self.manager.shutdown_kernel(now=True)

    def kill(self):
        """At the process's exit: no loop to await on, so the process is killed outright."""
        process = getattr(self.manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
        home = getattr(self.manager.provisioner, "home", None)
        if home:
            shutil.rmtree(home, ignore_errors=True)


_TEST_KERNELS: dict[str, _TestKernel] = {}


@atexit.register
def _kill_test_kernels() -> None:
    for kernel in _TEST_KERNELS.values():
        kernel.kill()
    _TEST_KERNELS.clear()


class IsolatedExecute(GuardedExecute):
    """GuardedExecute whose test cells run in a separate, fresh test kernel."""

    course_root = Unicode("", help="the nbgrader course (to find release and source)").tag(
        config=True
    )

    def preprocess(self, nb, resources=None, km=None):
        self._plan = self._read_plan(resources or {})
        self._tests_kernel_name = self.kernel_name or nb.metadata.get("kernelspec", {}).get(
            "name", "python3"
        )
        self._tests = None
        return super().preprocess(nb, resources, km)

    def _read_plan(self, resources: dict) -> HiddenTestPlan:
        """The plan from the release (and the source); without them the tests cannot be run
        apart, and they are never run in the learner's kernel instead."""
        ids = resources.get("nbgrader", {})
        course = GradingCourse(Path(self.course_root)) if self.course_root else None
        name = f"{ids.get('notebook')}.ipynb"
        release = source = None
        if course is not None and ids.get("assignment"):
            release = course.folder("release", module=ids["assignment"]) / name
            source = course.folder("source", module=ids["assignment"]) / name
        if release is None or not release.exists():
            raise RuntimeError(
                f"the student version of {name} is missing ({release}): release the module "
                "again (servicecourse release MODULE), then grade"
            )
        return HiddenTestPlan(
            nbformat.read(release, as_version=4),
            nbformat.read(source, as_version=4) if source.exists() else None,
        )

    def preprocess_cell(self, cell, resources, index):
        if self._tests is None and self._plan.test_position:
            # Taken (or started) at the first cell, not before: only then does nbclient's
            # setup hold the configured (sandboxed) kernel manager class. A new test kernel
            # boots while the learner's cells run.
            run_sync(self._take_tests_kernel)(resources["metadata"]["path"])
        if not is_test_cell(cell) or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if time.monotonic() > self._deadline:
            return super().preprocess_cell(cell, resources, index)  # marks it "not run"
        cell.outputs = run_sync(self._run_test)(cell)
        cell.execution_count = index
        return cell, resources

    # -- the test kernel --------------------------------------------------------------------------

    def _shared_key(self) -> str:
        kind = self.kernel_manager_class
        return f"{kind.__module__}.{kind.__qualname__}:{self._tests_kernel_name}"

    async def _take_tests_kernel(self, cwd: str):
        """This process's test kernel, reset for a new notebook, or a new one."""
        shared = _TEST_KERNELS.get(self._shared_key())
        if shared is not None and await shared.manager.is_alive():
            shared.reset_needed = True
            self._tests = shared
            return
        if shared is not None:
            await shared.stop()
        manager = self.kernel_manager_class(config=self.config, kernel_name=self._tests_kernel_name)
        extra = list(self.extra_arguments)
        if SKIP_SLOW_IMPORT not in extra:
            extra.append(SKIP_SLOW_IMPORT)
        await manager.start_kernel(extra_arguments=extra, cwd=cwd)
        client = manager.client()
        client.start_channels()
        self._tests = _TEST_KERNELS[self._shared_key()] = _TestKernel(manager, client)

    async def _tests_client(self):
        if self._tests is None:
            await self._take_tests_kernel(self.resources["metadata"]["path"])
        kernel = self._tests
        if not kernel.ready:
            await kernel.client.wait_for_ready(timeout=self.startup_timeout)
            kernel.ready = True
        if kernel.reset_needed:
            # The last notebook's answers and names go; imported modules stay (the saving).
            await _execute(
                kernel.client,
                "get_ipython().reset(new_session=False)",
                timeout=self.timeout or 60,
                silent=True,
            )
            kernel.reset_needed = False
        return kernel.client

    async def _restart_tests_kernel(self):
        if self._tests is not None:
            await self._tests.stop()
            _TEST_KERNELS.pop(self._shared_key(), None)
            self._tests = None
        self._plan.ran.clear()
        self._plan.defined_by_tests.clear()

    async def _run_test(self, cell) -> list:
        tests = await self._tests_client()
        needs = self._plan.needs(cell.metadata["nbgrader"].get("grade_id", ""), cell.source)
        timeout = self.timeout or 60
        notes = []
        try:
            if needs.from_learner:
                wire = await self._export_from_learner(needs.from_learner, timeout)
                notes = [
                    nbformat.v4.new_output(
                        "stream",
                        name="stdout",
                        text=f"Your answer `{name}` could not be graded: {item['unreadable']}\n",
                    )
                    for name, item in json.loads(wire).items()
                    if "unreadable" in item
                ]
                await _execute(
                    tests, f"{_ANSWERS}.bind(globals(), {wire!r})", timeout=timeout, silent=True
                )
            if needs.lesson_cells:
                code = "\n".join(statement.source for statement in needs.lesson_cells)
                reply, _ = await _execute(tests, code, timeout=timeout, silent=True)
                if reply["content"].get("status") != "ok":
                    self.log.warning("lesson code failed in the test kernel: %s", code[:200])
            _, outputs = await _execute(
                tests, cell.source, timeout=timeout, on_input=self._call_learner
            )
            return notes + outputs
        except KernelCallTimeout:
            await self._restart_tests_kernel()
            return [error_output("CellTimeoutError", f"the tests ran longer than {timeout} s")]

    async def _export_from_learner(self, names: list[str], timeout: float) -> str:
        expression = f"{_ANSWERS}.export(globals(), {names!r})"
        empty = json.dumps({name: {"missing": True} for name in names})
        try:
            text = await self._evaluate_in_learner_kernel(expression, timeout)
        except KernelCallTimeout:
            return empty
        if text is None:
            return empty
        try:
            json.loads(text)
        except ValueError:
            return json.dumps({name: {"unreadable": "it could not be read"} for name in names})
        return text

    async def _evaluate_in_learner_kernel(self, expression: str, timeout: float) -> str | None:
        """An expression evaluated silently in the learner's kernel; its string value."""
        if self.kc is None:
            return None
        try:
            reply, _ = await _execute(
                self.kc, "", timeout=timeout, silent=True, user_expressions={"r": expression}
            )
        except KernelCallTimeout:
            self.log.error("the learner's kernel ran over %s s; stopping it", timeout)
            await self.km.signal_kernel(signal.SIGKILL)
            await asyncio.sleep(0.2)
            await self._async_restart()
            raise
        result = reply["content"].get("user_expressions", {}).get("r", {})
        if result.get("status") != "ok":
            return None
        text = result.get("data", {}).get("text/plain", "")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        return value if isinstance(value, str) else None

    async def _call_learner(self, prompt: str) -> str:
        """A test called the learner's function: run it in the learner's kernel."""
        if not prompt.startswith(answers.CALL_PREFIX):
            return json.dumps({"error": "tests may not ask for input"})
        request = json.loads(prompt[len(answers.CALL_PREFIX) :])
        args = json.dumps(request["args"])
        expression = f"{_ANSWERS}.call({int(request['ref'])}, {args!r})"
        timeout = self.timeout or 60
        try:
            text = await self._evaluate_in_learner_kernel(expression, timeout)
        except KernelCallTimeout:
            return json.dumps({"error": f"TimeoutError: it ran longer than {timeout} s"})
        if text is None:
            return json.dumps({"error": "it stopped the kernel or could not be called"})
        return text
