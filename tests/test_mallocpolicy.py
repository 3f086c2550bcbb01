"""The allocator policy (sim/mallocpolicy.py): glibc's mmap threshold pinned once per
process where the C library is glibc, nothing done elsewhere."""

from __future__ import annotations

import ctypes.util
import platform

import pytest

from miniswarm.sim import mallocpolicy


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(mallocpolicy, "_installed", None)


def test_glibc_takes_the_pinned_threshold_once(fresh, monkeypatch):
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")
    calls = []
    real = mallocpolicy._mallopt
    monkeypatch.setattr(mallocpolicy, "_mallopt", lambda *a: calls.append(a) or real(*a))
    assert mallocpolicy.install() is True
    assert mallocpolicy.install() is True
    assert calls == [(-3, 128 * 1024)]  # M_MMAP_THRESHOLD, glibc's own initial value


def test_without_a_c_library_to_ask_nothing_is_done(fresh, monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert mallocpolicy.install() is False
