"""A warm parent for job and model-server processes: import once, fork per process.

Every training job and every model server is a fresh Python process, and most of its start-up
is imports (Python, numpy, pyarrow, xgboost, uvicorn: a second or more of CPU) that are the same
every time. This server does them once, then forks a child per request; the child becomes
exactly what `python -m <module> <args>` would have been — its own session, the requested
working directory, environment and output descriptors — and runs the module as `__main__`.

    python -m tsukuru.runtime.forkserver --socket PATH

The platform side (`tsukuru.executors.warm`) talks to it over that Unix socket, one connection
per child: a request (length-prefixed JSON with the descriptors passed alongside), then the
child's pid, then, when it exits, its exit status. Only the runtime's own entry points can be
started, and only by a peer running as the same user. A request this server cannot serve warm
— an environment that differs in a variable read at import time (OMP_*, PYTHON*, ...), or a
model server that will import user code (script mode), which must see freshly imported
libraries — still gets its own session and descriptors, but the child `exec`s a new interpreter
instead of reusing the imported one. The server exits when its standard input closes, which is
when the platform that started it goes away.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import json
import os
import runpy
import selectors
import signal
import socket
import struct
import sys
import traceback
import warnings
from collections.abc import Mapping
from typing import Any

ENTRY_MODULES = frozenset(
    {"tsukuru.runtime.train", "tsukuru.runtime.serve", "tsukuru.runtime.transform"}
)
# What a job or a built-in model server imports; xgboost first, through the runtime's own
# import path (sklearn hidden, OMP_WAIT_POLICY defaulted) so children see what they would see.
PRELOAD = (
    "tsukuru.runtime.algorithms.xgboost_lib",
    "tsukuru.runtime.train",
    "tsukuru.runtime.algorithms.xgboost",
    "tsukuru.runtime.serve",
    "tsukuru.runtime.serve_http",
    "tsukuru.runtime.algorithms.xgboost_serving",
    "pyarrow.csv",
)
# Environment variables read when those libraries load: a child whose values differ cannot reuse
# them. PYTHONUNBUFFERED is left out: it is applied to the child's streams directly.
IMPORT_TIME_PREFIXES = (
    "PYTHON",
    "OMP_",
    "GOMP_",
    "KMP_",
    "OPENBLAS_",
    "MKL_",
    "LD_",
    "MALLOC_",
    "ARROW_",
)
BUILTIN_SERVING_ALGORITHMS = frozenset({"xgboost"})
LENGTH = struct.Struct("!I")
MAX_REQUEST_BYTES = 16 * 1024 * 1024
REQUEST_TIMEOUT_S = 10.0


class BadRequest(Exception):
    pass


def import_time_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in environ.items()
        if name.startswith(IMPORT_TIME_PREFIXES) and name != "PYTHONUNBUFFERED"
    }


def can_run_warm(module: str, environ: Mapping[str, str], server_env: Mapping[str, str]) -> bool:
    """Whether a child of this server behaves like a fresh `python -m module` for `environ`."""
    if import_time_environment(environ) != import_time_environment(server_env):
        return False
    if module == "tsukuru.runtime.serve":
        algorithm = environ.get("TSUKURU_ALGORITHM", "xgboost").strip().lower()
        if algorithm not in BUILTIN_SERVING_ALGORITHMS:
            return False
        if environ.get("SAGEMAKER_PROGRAM", "").strip():
            return False  # script mode imports the user's code, which must see fresh imports
    return True


def preload(modules: tuple[str, ...]) -> list[str]:
    """Import what children will need; returns the modules that failed (they load cold)."""
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed.append(name)
            print(f"forkserver: cannot preload {name}: {exc}", file=sys.stderr, flush=True)
    return failed


def read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request: a 4-byte length, that much JSON, and the child's stdout/stderr fds."""
    conn.settimeout(REQUEST_TIMEOUT_S)
    data, fds, _, _ = socket.recv_fds(conn, 65536, 2)
    try:
        if len(data) < LENGTH.size:
            raise BadRequest("short request")
        (size,) = LENGTH.unpack_from(data)
        if size > MAX_REQUEST_BYTES:
            raise BadRequest(f"request of {size} bytes")
        payload = bytearray(data[LENGTH.size :])
        while len(payload) < size:
            chunk = conn.recv(min(1 << 20, size - len(payload)))
            if not chunk:
                raise BadRequest("connection closed mid-request")
            payload += chunk
        request = json.loads(payload)
        if len(fds) != 2:
            raise BadRequest(f"expected 2 descriptors, got {len(fds)}")
        if request.get("module") not in ENTRY_MODULES:
            raise BadRequest(f"module {request.get('module')!r} is not a runtime entry point")
        if not isinstance(request.get("env"), dict) or not isinstance(request.get("args"), list):
            raise BadRequest("env must be an object and args a list")
        return request, fds
    except Exception:
        for fd in fds:
            os.close(fd)
        raise


def send_message(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(message).encode() + b"\n")


def _python_exit_code(exc: SystemExit) -> int:
    """What the interpreter would exit with for this SystemExit."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def become_child(
    request: dict[str, Any], fds: list[int], server_fds: list[int], server_env: Mapping[str, str]
) -> None:
    """In the forked child: set up as `python -m module` would be, run it, exit. Never returns."""
    code = 1
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in {devnull, *fds, *server_fds}:
            if fd > 2:
                with contextlib.suppress(OSError):
                    os.close(fd)
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        module, args = str(request["module"]), [str(a) for a in request["args"]]
        env = {str(k): str(v) for k, v in request["env"].items()}
        os.chdir(str(request["cwd"]))
        if not can_run_warm(module, env, server_env):
            os.execve(sys.executable, [sys.executable, "-m", module, *args], env)
        os.environ.clear()
        os.environ.update(env)
        set_command_line([sys.executable, "-m", module, *args])
        _reseed_numpy()
        sys.argv = [module, *args]
        # The module was preloaded; runpy warns that running it as __main__ re-executes it,
        # which is exactly what `python -m` does.
        warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _python_exit_code(exc)
        except KeyboardInterrupt:
            traceback.print_exc()
            code = 128 + signal.SIGINT
        except BaseException:
            traceback.print_exc()
            code = 1
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def set_command_line(argv: list[str]) -> None:
    """Show `argv` as this process's command line (`ps`, /proc/<pid>/cmdline), written over the
    interpreter's own arguments — the launcher reserves room for it (`--room`) — so a forked job
    or model server is listed as the `python -m ...` it stands for, not as this server."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (fields 48, 49)
        text = b"\0".join(os.fsencode(part) for part in argv) + b"\0"
        room = end - start
        if len(text) > room:
            text = text[: room - 1] + b"\0"
        with open("/proc/self/mem", "r+b", buffering=0) as memory:
            memory.seek(start)
            memory.write(text.ljust(room, b"\0"))
    except (OSError, ValueError, IndexError):
        pass  # cosmetic: the process works the same with the server's command line


def _reseed_numpy() -> None:
    """Children would otherwise share numpy's global random state (`random` reseeds itself)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


class ForkServer:
    def __init__(self, listener: socket.socket, server_env: Mapping[str, str]) -> None:
        self._listener = listener
        self._server_env = dict(server_env)
        self._children: dict[int, socket.socket] = {}
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        os.set_blocking(self._wake_read, False)

    def serve(self) -> None:
        signal.set_wakeup_fd(self._wake_write, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_read, selectors.EVENT_READ, "reap")
        self._selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
        while True:
            for key, _ in self._selector.select():
                if key.data == "accept":
                    self._accept()
                elif key.data == "reap":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_read, 4096)
                    self._reap()
                elif not os.read(sys.stdin.fileno(), 4096):
                    return  # the platform went away

    def _server_fds(self) -> list[int]:
        fds = [self._listener.fileno(), self._wake_read, self._wake_write]
        fds += [conn.fileno() for conn in self._children.values()]
        with contextlib.suppress(Exception):
            fds.append(self._selector.fileno())
        return fds

    def _accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            if not _same_user(conn):
                send_message(conn, {"error": "peer is not the server's user"})
                conn.close()
                return
            request, fds = read_request(conn)
        except (OSError, ValueError, BadRequest) as exc:
            send_message(conn, {"error": str(exc)})
            conn.close()
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            become_child(request, fds, [*self._server_fds(), conn.fileno()], self._server_env)
        for fd in fds:
            os.close(fd)
        conn.setblocking(True)
        send_message(conn, {"pid": pid})
        self._children[pid] = conn
        self._reap()  # a child may have exited before it was registered

    def _reap(self) -> None:
        while self._children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self._children.pop(pid, None)
            if conn is not None:
                send_message(conn, {"exit": os.waitstatus_to_exitcode(status)})
                conn.close()


def _same_user(conn: socket.socket) -> bool:
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())


def listen(path: str) -> socket.socket:
    """Bind a fresh Unix socket at `path` (only after preloading: connecting means ready)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    temporary = f"{path}.{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(temporary)
    os.chmod(temporary, 0o600)
    listener.listen(64)
    listener.setblocking(False)
    os.replace(temporary, path)
    return listener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tsukuru.runtime.forkserver")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--room", default="", help="padding: room for children's command lines")
    args = parser.parse_args(argv)
    set_command_line([sys.executable, "-m", "tsukuru.runtime.forkserver", "--socket", args.socket])
    server_env = dict(os.environ)  # before preloading changes anything
    preload(PRELOAD)
    listener = listen(args.socket)
    try:
        ForkServer(listener, server_env).serve()
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(args.socket)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(args.socket))  # the starter's private folder, if empty
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
