"""ns-3 import, C++ shims, and the bridge that routes ns-3 events to Python.

The rules of the platform notes (docs/architecture.md, "The bridge") are encoded here once, so no other module has to
know them:

- The wheel's ``from ns import ns`` parses all 42 ns-3 modules' headers (10-20 s):
  :func:`ns3` loads only the modules the simulator uses (:mod:`.ns3_loader`), once per process.
  (``IMM_NS3_MODULES=all`` restores the wheel's import, from an empty directory: its loader
  globs the working directory recursively for ``.so`` files and fails on other ns-3 builds or
  venvs it finds there.)
- Python callables cannot be handed to ns-3: one C++ ``std::function`` per signature is
  assigned once per process (:func:`shims`, ``cpp/bridge.h``); events and trace sources carry
  integer tokens that the active :class:`Bridge` maps to Python callables, which it keeps
  referenced for the whole run.
- A Python exception inside a callback must not unwind through ``Simulator::Run``: the bridge
  catches it, records which callback raised, stops the simulator cleanly, and the runner
  re-raises it as :class:`CallbackError` after ``Run`` returns.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile
import threading
from time import perf_counter as _perf_counter
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from . import cpp_headers

_lock = threading.Lock()
_ns: Any = None
_cppyy: Any = None
_shims: Any = None
_active: "Bridge | None" = None
_compiled: set[str] = set()
_after_destroy_names: set[tuple[str, str]] = set()
_bound: set[tuple[str, str]] = set()


# Lines Cling prints on stderr while it loads ns-3 and compiles the shims, harmless (docs/
# architecture.md): kept out of the user's terminal; everything else written there passes.
_NOISE = (b"Failed to materialize symbols",)


@contextlib.contextmanager
def _filtered_stderr():
    """Run a block with file descriptor 2 captured, then write back what it printed less the
    known noise. (C++ writes to the descriptor directly: sys.stderr cannot see it.)"""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable stderr (some notebook kernels): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            kept = [ln for ln in tmp.read().splitlines(keepends=True)
                    if not any(n in ln for n in _NOISE)]
            if kept:
                os.write(2, b"".join(kept))


def ns3() -> Any:
    """Return the ``ns`` namespace of the ns-3 bindings, importing it once per process."""
    global _ns, _cppyy
    if _ns is not None:
        return _ns
    with _lock:
        if _ns is None:
            from . import ns3_loader  # noqa: PLC0415 (deliberately lazy)

            modules = ns3_loader.requested_modules()
            with _filtered_stderr():
                if modules is not None:
                    from . import precompiled  # noqa: PLC0415

                    precompiled.use_pch_for_import()  # ns-3's headers parsed once per code version, if cached
                    _imported = ns3_loader.load(modules)
                else:  # IMM_NS3_MODULES=all: the wheel's import of every module
                    cwd = os.getcwd()
                    with tempfile.TemporaryDirectory(prefix="imm-ns3-import-") as empty:
                        os.chdir(empty)
                        try:
                            from ns import ns as _imported  # noqa: PLC0415
                        finally:
                            os.chdir(cwd)
                import cppyy  # noqa: PLC0415
            _cppyy = cppyy
            _ns = _imported
    return _ns


def ns3_version() -> str:
    try:
        from importlib.metadata import version

        return version("ns3")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


# What shims() compiles (with what they require): the bridge itself and the IPv4/ARP helpers
# the adapters call through ``Bridge.c`` without compiling a header of their own.
BRIDGE_HEADERS = ("bridge.h", "ipv4.h")


def shims() -> Any:
    """Compile the C++ shims (:data:`BRIDGE_HEADERS`, once per process) and return their
    namespace ``imm``."""
    global _shims
    if _shims is not None:
        return _shims
    ns3()
    with _lock:
        if _shims is None:
            # The shims compiled ahead of time, when this code version's library is cached
            # (precompiled.py): loaded before Cling reads any header, so Cling reuses its code.
            from . import precompiled  # noqa: PLC0415

            precompiled.attach(_cppyy)
            for header in BRIDGE_HEADERS:
                _compile(header)
            s = _cppyy.gbl.imm
            # Set once, referenced forever by this module: the trampolines below look up the
            # active bridge, so no per-run Python callable is ever handed to C++.
            s.SetShimCallbacks(c_pointer(_fire), c_pointer(_mac_event), c_pointer(_recv))
            AFTER_DESTROY.append(s.ReleaseRunObjects)
            _shims = s
    return _shims


def _in_pch(header: str) -> bool:
    """Whether Cling has the header's declarations from the precompiled header already."""
    from . import precompiled  # noqa: PLC0415

    return bool(precompiled.status["pch"]) and header in precompiled.package_headers()


def _header_source(header: str) -> str:
    """What Cling is given of one of the package's headers: all of it, or, when the shims
    library is loaded and defines the header's functions, their declarations only."""
    from . import precompiled  # noqa: PLC0415

    text = cpp_headers.text(header)
    if precompiled.status["library"] and header in precompiled.package_headers():
        return precompiled.declarations_only(text)
    return text


def _compile(header: str) -> None:
    """Give Cling ``header`` of ``adapter/cpp/``, after what it requires (``// requires:``),
    each once per process (none that the precompiled header holds). The caller holds _lock."""
    for name in cpp_headers.closure(header):
        if name not in _compiled and not _in_pch(name):
            with _filtered_stderr():
                _cppyy.cppdef(_header_source(name))
        _compiled.add(name)


# The trampolines: module-level functions that live as long as the process.
def _fire(token: int) -> None:
    if _active is not None:
        _active._fire(token)


def _mac_event(token: int, mac: int) -> None:
    if _active is not None:
        _active._dispatch_handler(token, (mac,))


def _recv(token: int, ip: int, port: int, dev: int, data: int | None, n: int) -> None:
    if _active is not None:
        _active._dispatch_handler(token, (ip, port, ctypes.string_at(data, n) if n else b"", dev))


# Generic trampolines by signature, for the C++ hooks of protocol extensions: an extension
# hands them to its setter when it is compiled (compile_extension's ``callbacks``).
def control_trampoline(token: int, iface: int, src: int, data: int | None, n: int) -> int:
    """(token, interface, source address, payload): a control message a hook shows to Python;
    the handler returns 1 to drop it."""
    if _active is None:
        return 0
    payload = ctypes.string_at(data, n) if n else b""
    return 1 if _active._dispatch_handler(token, (iface, src, payload), default=0) else 0


def u32_trampoline(token: int, value: int) -> None:
    """(token, value): a hook telling Python one address (a cache entry created, a mapping
    missed, a peer seen)."""
    if _active is not None:
        _active._dispatch_handler(token, (value,))


# The trampolines as C function pointers (ctypes thunks), made once and kept for the process:
# C++ calls them through plain pointers (cpp/bridge.h, SetShimCallbacks).
_U64, _U32, _PTR = ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p
_C_TYPES: dict[Callable[..., Any], Any] = {
    _fire: ctypes.CFUNCTYPE(None, _U64),
    _mac_event: ctypes.CFUNCTYPE(None, _U64, _U64),
    _recv: ctypes.CFUNCTYPE(None, _U64, _U32, ctypes.c_uint16, _U32, _PTR, _U32),
    control_trampoline: ctypes.CFUNCTYPE(ctypes.c_int, _U64, _U32, _U32, _PTR, _U32),
    u32_trampoline: ctypes.CFUNCTYPE(None, _U64, _U32),
}
_thunks: dict[Callable[..., Any], Any] = {}


def c_pointer(trampoline: Callable[..., Any]) -> int:
    """The address of ``trampoline``'s C thunk, which lives as long as the process."""
    if trampoline not in _thunks:
        _thunks[trampoline] = _C_TYPES[trampoline](trampoline)
    return int(ctypes.cast(_thunks[trampoline], ctypes.c_void_p).value or 0)


# Called after every Simulator::Destroy: C++ state of an extension that must not outlive the
# simulator it was used with (and must not wait for the process to exit).
AFTER_DESTROY: list[Callable[[], Any]] = []


def compile_extension(header: str, *,
                      callbacks: tuple[str, tuple[Callable[..., Any], ...]] | None = None,
                      after_destroy: tuple[str, ...] = ()) -> Any:
    """Compile a C++ header of this package (by name, in ``adapter/cpp/``) into the process
    once, after the bridge (:func:`shims`) and after the headers it requires (its
    ``// requires:`` line, each compiled once); returns ``cppyy.gbl.imm``. Each protocol
    adapter names its own headers: ``callbacks`` is the header's setter of its
    function-pointer globals and the trampolines above to give it
    (``("SetMipCallbacks", (u32_trampoline, u32_trampoline))``), and ``after_destroy`` names
    functions of the header to call after every Simulator::Destroy."""
    shims()
    with _lock:
        _compile(header)
        imm = _cppyy.gbl.imm
        if callbacks is not None and (header, callbacks[0]) not in _bound:
            getattr(imm, callbacks[0])(*(c_pointer(t) for t in callbacks[1]))
            _bound.add((header, callbacks[0]))
        for name in after_destroy:
            if (header, name) not in _after_destroy_names:
                _after_destroy_names.add((header, name))
                AFTER_DESTROY.append(getattr(imm, name))
    return _cppyy.gbl.imm


class CallbackError(RuntimeError):
    """A Python callback raised inside the simulation; the run was stopped cleanly."""

    def __init__(self, name: str, at_s: float, exc: BaseException, tb: str):
        self.callback = name
        self.at_s = at_s
        self.original = exc
        self.traceback_text = tb
        super().__init__(
            f"callback {name!r} raised {type(exc).__name__}: {exc} (at t={at_s:.6f} s);"
            " the simulation was stopped"
        )


@dataclass
class _Handler:
    name: str
    fn: Callable[..., Any]


class Bridge:
    """Python side of the shims for one simulation run.

    Holds every Python callable handed to ns-3 (by token), so none is garbage-collected during
    the run, and guards each call: the first exception stops the run and is kept in
    :attr:`error`.
    """

    def __init__(self) -> None:
        self.ns = ns3()
        self.c = shims()
        self._timers: dict[int, tuple[str, Callable[..., Any], tuple]] = {}
        self._handlers: dict[int, _Handler] = {}
        self._next_token = 1
        self.error: CallbackError | None = None
        self.interrupted = False  # Ctrl-C arrived during the run
        self.stop_signal: str | None = None  # "SIGINT" or "SIGTERM" if one stopped Run
        self.python_events = 0  # Python callbacks run (timers, traces, sockets, hooks)
        self.python_wall_s = 0.0  # wall time spent inside them
        self._sockets: list[Any] = []

    # ---- lifetime ---------------------------------------------------------------------
    def activate(self) -> "Bridge":
        global _active
        if _active is not None and _active is not self:
            raise RuntimeError("another simulation is active in this process")
        self.c.ResetRunState()
        _active = self
        return self

    def deactivate(self) -> None:
        """End of run: close every socket (before Simulator::Destroy) and forget callables.

        A socket still open when the simulator is destroyed crashes the process when its last
        Python reference goes (its destructor frees an endpoint of the destroyed UDP
        protocol); closed first, it is safe to drop at any time.
        """
        global _active
        for sock in self._sockets:
            sock.Close()
        self._sockets.clear()
        if _active is self:
            _active = None
        self._timers.clear()
        self._handlers.clear()

    # ---- time -------------------------------------------------------------------------
    def now(self) -> float:
        return self.c.NowNs() * 1e-9

    def now_ns(self) -> int:
        return int(self.c.NowNs())

    # ---- timers -----------------------------------------------------------------------
    def _token(self) -> int:
        t = self._next_token
        self._next_token += 1
        return t

    def call_later(self, delay_s: float, fn: Callable[..., Any], *args: Any,
                   name: str | None = None, node_id: int | None = None) -> int:
        """Run ``fn(*args)`` after ``delay_s`` simulated seconds; returns a handle for cancel."""
        if delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {delay_s}")
        token = self._token()
        self._timers[token] = (name or getattr(fn, "__qualname__", "timer"), fn, args)
        delay_ns = int(round(delay_s * 1e9))
        if node_id is None:
            self.c.ScheduleToken(delay_ns, token)
        else:
            self.c.ScheduleTokenWithContext(node_id, delay_ns, token)
        return token

    def call_at(self, when_s: float, fn: Callable[..., Any], *args: Any, **kw: Any) -> int:
        return self.call_later(max(0.0, when_s - self.now()), fn, *args, **kw)

    def cancel(self, handle: int) -> None:
        # The C++ event still fires and finds no token: cheaper than keeping EventIds.
        self._timers.pop(handle, None)

    def _fire(self, token: int) -> None:
        entry = self._timers.pop(token, None)
        if entry is None or self.error is not None or self.interrupted:
            return
        name, fn, args = entry
        self._guarded(name, fn, args)

    # ---- trace and socket handlers ----------------------------------------------------
    def register(self, name: str, fn: Callable[..., Any]) -> int:
        """Keep ``fn`` for the run and return the token that C++ will call it with."""
        token = self._token()
        self._handlers[token] = _Handler(name, fn)
        return token

    def _dispatch_handler(self, token: int, args: tuple, default: Any = None) -> Any:
        h = self._handlers.get(token)
        if h is None or self.error is not None or self.interrupted:
            return default
        return self._guarded(h.name, h.fn, args, default)

    def _guarded(self, name: str, fn: Callable[..., Any], args: tuple, default: Any = None) -> Any:
        self.python_events += 1
        t0 = _perf_counter()
        try:
            out = fn(*args)
        except KeyboardInterrupt:
            # Ctrl-C lands in whichever callback runs: an interruption, not a failed callback.
            self.interrupted = True
            self.ns.Simulator.Stop()
            return default
        except BaseException as exc:  # noqa: BLE001 - must never unwind into C++
            self.error = CallbackError(name, self.now(), exc, traceback.format_exc())
            self.ns.Simulator.Stop()
            return default
        finally:
            self.python_wall_s += _perf_counter() - t0
        return default if out is None else out

    # ---- helpers for adapters ---------------------------------------------------------
    def connect_mac_trace(self, obj: Any, source: str, name: str,
                          fn: Callable[[int], Any]) -> None:
        token = self.register(name, fn)
        if not self.c.ConnectMacTrace(obj, source, token):
            raise RuntimeError(f"trace source {source!r} not found on {obj.GetInstanceTypeId().GetName()}")

    def udp_socket(self, node: Any, port: int, name: str,
                   on_datagram: Callable[..., Any], *, ip: int = 0,
                   broadcast: bool = False, with_device: bool = False, gate: Any = None) -> Any:
        """A UDP socket bound to ``ip:port`` whose datagrams go to ``on_datagram(ip, port, data)``
        (``on_datagram(ip, port, data, device_index)`` with ``with_device``). ``gate`` (a C++
        ``imm::DatagramGate``) drops in C++ what needs no Python."""
        fn = on_datagram if with_device else (lambda ip, port, data, dev: on_datagram(ip, port, data))
        token = self.register(name, fn)
        if gate is not None:
            self.c.SetGate(token, gate)
        sock = self.c.UdpSocket(node, ip, port, broadcast, token)
        if not sock:
            raise RuntimeError(f"{name}: cannot bind UDP port {port} on node {node.GetId()}")
        self._sockets.append(sock)
        return sock

    def udp_send(self, sock: Any, data: bytes, ip: int, port: int) -> int:
        return int(self.c.UdpSendTo(sock, data, len(data), ip, port))
