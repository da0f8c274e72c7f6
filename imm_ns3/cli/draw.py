"""imm-sim draw: a scenario's network as a map, a run's handoffs on it, a run's timeline; and the
checks of ``imm-sim run``'s ns-3 observer options (--netanim, --flowmon).

Nothing here imports ns-3. A picture is written to a temporary file beside the one asked for
and renamed onto it: an existing file is replaced only when it is a picture of the same kind
(a PNG, PDF or SVG by its first bytes), never a directory or another file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from ..scenario import BUILTIN_SCENARIOS
from .main import _BadInput, _SET_HELP, _load, main

FORMATS = {".png": (b"\x89PNG",), ".pdf": (b"%PDF",), ".svg": (b"<?xml", b"<svg")}


def check_picture_path(out: Path, option: str = "-o") -> str | None:
    """Why a picture cannot be written at ``out`` (one line), or None."""
    ext = out.suffix.lower()
    if out.is_dir():
        return f"{option} {out}: is a directory; give a file name"
    if ext not in FORMATS:
        return (f"{option} {out}: unknown picture format {ext or '(no extension)'!r};"
                f" use {', '.join(FORMATS)}")
    return _replaceable(out, option, FORMATS[ext], f"a {ext[1:].upper()} picture")


def _replaceable(out: Path, option: str, magic: tuple[bytes, ...], what: str) -> str | None:
    if out.is_dir():
        return f"{option} {out}: is a directory; give a file name"
    if out.exists() or out.is_symlink():
        if not out.is_file():
            return f"{option} {out}: exists and is not a regular file; not replaced"
        try:
            with open(out, "rb") as f:
                head = f.read(64).lstrip()
        except OSError as e:
            return f"{option} {out}: cannot read the existing file ({e.strerror or e}); not replaced"
        if not any(head.startswith(m) for m in magic):
            return f"{option} {out}: exists and is not {what}; not replaced (choose another name)"
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return f"{option} {out}: no directory {parent}"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{option} {out}: cannot write in {parent}"
    return None


def check_netanim_path(path: Path, out_dir: Path | None) -> str | None:
    """``--netanim FILE``: an .xml file outside the run directory, new or a NetAnim trace."""
    if path.is_dir():
        return f"--netanim {path}: is a directory; give a file name (FILE.xml)"
    if path.suffix.lower() != ".xml":
        return f"--netanim {path}: NetAnim reads an .xml file; name it FILE.xml"
    if out_dir is not None:
        try:
            inside = path.resolve().is_relative_to(Path(out_dir).resolve())
        except OSError:
            inside = False
        if inside:
            return (f"--netanim {path}: inside the run directory {out_dir} (a run directory"
                    " holds only what the run writes); put it beside it")
    return _replaceable(path, "--netanim", (b"<anim",), "a NetAnim trace")


def save_figure(fig, out: Path) -> None:
    """Write ``fig`` to ``out`` through a temporary file in the same directory."""
    parent = out.parent if str(out.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format=out.suffix.lower()[1:])
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it private)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_run_dir(source: str) -> bool:
    p = Path(source)
    return p.is_dir() or (p.exists() and not p.is_file()) or (
        source not in BUILTIN_SCENARIOS and not p.suffix and not p.exists() and os.sep in source)


@main.command()
@click.argument("source")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=_SET_HELP)
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), default=None,
              help="The picture: .png, .svg or .pdf (default: <scenario>-map.png, or"
                   " <scenario>-timeline.png with --timeline, in the current directory).")
@click.option("--timeline", is_flag=True,
              help="A run's timeline (cells, handoff components, delivery gaps per host) and one"
                   " handoff's sequence chart, instead of the map. SOURCE must be a run directory.")
@click.option("--host", default=None, help="With --timeline: this mobile host only (e.g. mh1).")
@click.option("--handoff", default="0", show_default=True,
              help="With --timeline: which of the host's handoffs the sequence chart shows (0-based).")
def draw(source: str, overrides: tuple[str, ...], out: Path | None, timeline: bool,
         host: str | None, handoff: str) -> None:
    """Draw SOURCE: a scenario (file or built-in name) as a map of its network, or a run
    directory (imm-sim run --out) with its handoffs on the map, or with --timeline its timeline.
    See docs/pictures.md."""
    try:  # read here, not by click, so that a bad value is one line like every other
        handoff = int(handoff)
    except ValueError:
        raise _BadInput(f"--handoff {handoff!r}: a handoff number, 0 or more") from None
    run_dir = _is_run_dir(source)
    if run_dir and overrides:
        raise _BadInput(f"--set: {source} is a run directory, whose scenario is fixed; --set"
                        " applies to a scenario")
    if (host is not None or handoff != 0) and not timeline:
        raise _BadInput("--host and --handoff choose what --timeline draws; add --timeline")
    if timeline and not run_dir:
        raise _BadInput(f"--timeline: {source} is a scenario; --timeline draws a run directory"
                        " (imm-sim run SCENARIO --out DIR, then imm-sim draw DIR --timeline)")
    if handoff < 0:
        raise _BadInput(f"--handoff {handoff}: a handoff number is 0 or more")
    from ..analysis.netmap import NotARun, load_run

    if run_dir:
        try:
            s, _, _ = load_run(source)
        except NotARun as e:
            raise _BadInput(str(e)) from None
        name = s.name
    else:
        s, _ = _load(source, overrides)
        name = s.name
    out = out or Path(f"{name}-{'timeline' if timeline else 'map'}.png")
    problem = check_picture_path(out)
    if problem:
        raise _BadInput(problem)
    from ..analysis.plotting import pyplot
    from ..analysis.timeline import BadChoice, draw_sequence, draw_timeline

    plt = pyplot()
    try:
        if timeline:
            fig, (a1, a2) = plt.subplots(2, 1, figsize=(11, 10), height_ratios=(1, 1.5))
            draw_timeline(a1, source, host=host)
            draw_sequence(a2, source, host=host, handoff=handoff)
        else:
            fig, ax = plt.subplots(figsize=(11, 7.5))
            from ..analysis.netmap import draw_network

            draw_network(ax, source if run_dir else s)
    except (NotARun, BadChoice) as e:
        raise _BadInput(str(e)) from None
    try:
        save_figure(fig, out)
    except OSError as e:
        raise _BadInput(f"-o {out}: cannot write ({e.strerror or e})") from None
    finally:
        plt.close(fig)
    click.echo(str(out))
