"""The MMP/DRCP fakes under their former names; the fakes themselves are in tests/fakes.py."""

from __future__ import annotations

from fakes import FakeDomainEnv as NodeEnv
from fakes import FakeLoop as Loop
from fakes import FakeMobileHostEnv as MobileEnv
from fakes import connect

__all__ = ["Loop", "NodeEnv", "MobileEnv", "connect"]
