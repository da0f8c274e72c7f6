"""imm-sim prepare (the precompiled header), dissector (Wireshark), sip-registrar (a real UDP SIP
registrar on the same core)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..scenario import ScenarioError
from ..sip.message import SIP_PORT
from .main import _BadInput, main


@main.command()
@click.option("--prune", is_flag=True,
              help="Then delete the cache's artefacts of other code versions (about 90 MB each).")
def prepare(prune: bool) -> None:
    """Build what Cling would redo in every process, once per code version (about 40 s).

    \b
    A precompiled header of the ns-3 headers (the ns-3 import then takes about 0.5 s instead
    of 4) and the C++ shims compiled into a library (about 5 s less before a process's first
    run starts simulating). Without this command the first process that lacks them builds them
    in the background (IMM_NS3_PRECOMPILED=auto); =off never uses them. The cache:
    $IMM_NS3_CACHE_DIR, else $XDG_CACHE_HOME/imm-ns3, else ~/.cache/imm-ns3."""
    import time  # noqa: PLC0415

    from ..adapter import precompiled  # noqa: PLC0415

    for what, path_of, make in (("ns-3 precompiled header", precompiled.pch_path, precompiled.build_pch),
                                ("shims library", precompiled.library_path, precompiled.build)):
        existing = path_of()
        if existing is not None and existing.exists():
            click.echo(f"{what}: {existing} (already built)")
            continue
        t = time.perf_counter()
        try:
            if existing is None:
                path = make()  # the library without a compiler: says so
            else:  # a process already building it (in the background) is waited for
                precompiled.build_once(existing, make, wait=True)
                path = existing
        except (RuntimeError, OSError) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        click.echo(f"{what}: {path} ({time.perf_counter() - t:.1f} s)")
    if prune:
        try:
            removed = precompiled.prune()
        except (RuntimeError, OSError) as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        for d, size in removed:
            click.echo(f"removed {d} ({size / 1e6:.0f} MB)")
        click.echo(f"pruned {len(removed)} director{'y' if len(removed) == 1 else 'ies'}, "
                   f"{sum(s for _, s in removed) / 1e6:.0f} MB")


@main.command()
def dissector() -> None:
    """Print the path of the Wireshark Lua dissector for MMP, DRCP, MIP-LR and Mobile IP.

    \b
    tshark -X lua_script:$(imm-sim dissector) -r runs/p/pcap/mh1-wifi.pcap -Y imm -t e
    (-t e: absolute simulated times; each pcap file's own times start at its first packet)"""
    from .dissector import packaged_path

    click.echo(packaged_path())


@main.command("sip-registrar")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=SIP_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="UDP port (0: any free port).")
@click.option("--domain", default="imm.example", show_default=True, help="SIP domain served.")
@click.option("--max-seconds", type=click.FloatRange(min=0.1), default=None,
              help="Stop after this long (default: run until interrupted).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@click.option("--users", "users_file", type=click.Path(dir_okay=False), default=None,
              help="TOML file with a [users] table, address of record = password: REGISTERs"
              " then need digest credentials (RFC 3261 section 22, SHA-256).")
def sip_registrar(host: str, port: int, domain: str, max_seconds: float | None, quiet: bool,
                  users_file: str | None) -> None:
    """Run the SIP registrar/redirect server of the simulation on real UDP sockets ([0073])."""
    import asyncio

    from ..sip.server import serve

    users = _read_users(users_file) if users_file else None

    def ready(bound: int) -> None:
        click.echo(f"sip-registrar listening on udp {host}:{bound} for {domain}", err=False)
        sys.stdout.flush()

    try:
        asyncio.run(serve(host, port, domain=domain, max_seconds=max_seconds, ready=ready, users=users,
                          log=None if quiet else (lambda line: click.echo(line, err=True))))
    except OSError as e:
        raise _BadInput(f"--host/--port: cannot listen on udp {host}:{port}: {e.strerror}") from None
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass


def _read_users(path: str) -> dict[str, str]:
    """The [users] table of a --users file: 'sip:user@domain' = 'password'. Read as a scenario
    file is (a regular file of at most 4 MiB of UTF-8 TOML); every problem is one line."""
    import re

    from ..scenario import parse_toml_file
    from ..scenario.errors import cut, shown
    from ..sip.message import aor

    try:
        data = parse_toml_file(Path(path), "--users")
    except ScenarioError as e:
        raise _BadInput("\n".join(e.problems)) from None
    users = data.get("users")
    if not isinstance(users, dict) or not users:
        raise _BadInput(f"--users: {cut(path)} needs a [users] table of \"sip:user@domain\" ="
                        " \"password\"")
    seen: dict[str, str] = {}
    for k, v in users.items():
        key = f"users.{cut(k, 64) if re.fullmatch(r'[A-Za-z0-9_-]+', k) else shown(k, 64)}"
        if not (k.startswith("sip:") and "@" in k) or not isinstance(v, str) or not v:
            raise _BadInput(f"--users: {key}: a key is a SIP URL (sip:user@domain) and its"
                            f" value a non-empty password string")
        if any(not c.isprintable() or c.isspace() for c in k):
            raise _BadInput(f"--users: {key}: control characters and blanks are not allowed in a"
                            " SIP URL")
        address = aor(k)
        user, _, host = address[len("sip:"):].rpartition("@")
        if not user or not host:
            raise _BadInput(f"--users: {key}: the SIP URL needs a user and a domain"
                            " (sip:user@domain), both non-empty")
        if address in seen:
            raise _BadInput(f"--users: {key}: the same address ({shown(address, 64)}) as"
                            f" {seen[address]} (a domain's case does not count); give each"
                            " address once, with one password")
        seen[address] = key
    return {aor(k): v for k, v in users.items()}
