"""The registrar/redirect server on real UDP sockets with asyncio: the same sans-I/O core as in
the simulation, so an ordinary SIP client (sipp, a softphone) can REGISTER with it."""

from __future__ import annotations

import asyncio
import time

from .registrar import Registrar


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, registrar: Registrar, log):
        self.registrar, self.log = registrar, log
        self.transport = None
        self.handled = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.handled += 1
        for out in self.registrar.receive(data, addr, time.monotonic()):
            self.transport.sendto(out, addr)
        if self.log:
            # One line per datagram, whatever it held: the outcome, printable characters only.
            line = "".join(c if c.isprintable() else "?" for c in self.registrar.last)
            self.log(f"{addr[0]}:{addr[1]} {len(data)} B: {line}"
                     f" ({len(self.registrar.bindings)} binding(s) held)")


async def serve(host: str, port: int, *, domain: str = "imm.example", max_seconds: float | None = None,
                log=None, ready=None, users: dict[str, str] | None = None) -> _Protocol:
    """Serve until cancelled (or for ``max_seconds``); ``ready(port)`` is called once bound.
    With ``users`` (address of record -> password) REGISTERs need digest credentials."""
    loop = asyncio.get_running_loop()
    registrar = Registrar(domain=domain, users=users)
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _Protocol(registrar, log), local_addr=(host, port))
    try:
        if ready:
            ready(transport.get_extra_info("sockname")[1])
        if max_seconds is None:
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(max_seconds)
    finally:
        transport.close()
    return proto
