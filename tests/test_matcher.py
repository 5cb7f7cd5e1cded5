"""Tests for harness/privacy/matcher.py: every backend finds every occurrence of every pattern, overlapping ones
and patterns with NUL bytes included, the same set as the plain search; and the scanner's hits do not depend on
the backend."""

from __future__ import annotations

import os
import random
import re
import threading

import pytest

from harness.privacy.leaks import LeakScanner, Protected
from harness.privacy.matcher import Backend, Matcher, Presence, available_backends

BACKENDS = available_backends()


def expected(patterns: list[bytes], data: bytes) -> set[tuple[int, int, int]]:
    """Every occurrence, found the slow way."""
    found = set()
    for index, pattern in enumerate(patterns):
        start = data.find(pattern)
        while start >= 0:
            found.add((index, start, start + len(pattern)))
            start = data.find(pattern, start + 1)
    return found


def test_hyperscan_is_installed() -> None:
    """The fast backend is a dependency of the package (without it the scan is about half as fast): CI, which
    installs the package afresh, must have it; a venv made before it was added skips, saying how to get it."""
    if "hyperscan" not in BACKENDS and not os.environ.get("CI"):
        pytest.skip("hyperscan is not installed in this venv: pip install -e '.[test]' brings it")
    assert "hyperscan" in BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_occurrence_overlapping_and_with_nul_bytes(backend: Backend) -> None:
    patterns = [b"aa", b"aaa", b"h\x00i\x00", b"\x00", b"a.b", b"(x)", b"\xff\xfe", b"secret", b"cret"]
    data = b"aaaa h\x00i\x00 a.b axb (x) x \xff\xfe\x00 secret"
    matches = Matcher(patterns, backend).find(data)
    assert len(matches) == len(set(matches))
    assert set(matches) == expected(patterns, data)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_patterns_in_random_bytes(backend: Backend) -> None:
    rng = random.Random(14)
    data = bytes(rng.choice(b"ab\x00\n\\") for _ in range(5000))
    patterns = sorted({data[start : start + rng.randrange(1, 9)] for start in rng.sample(range(4990), 60)})
    patterns += [bytes(rng.randrange(256) for _ in range(6)) for _ in range(20)]
    assert set(Matcher(patterns, backend).find(data)) == expected(patterns, data)


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_patterns_and_no_data(backend: Backend) -> None:
    assert Matcher([], backend).find(b"anything") == []
    assert Matcher([b"x"], backend).find(b"") == []
    with pytest.raises(ValueError, match="non-empty"):
        Matcher([b"x", b""], backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_share_one_matcher(backend: Backend) -> None:
    """The pipeline scans runs in worker threads: Hyperscan needs a scratch space per thread."""
    matcher = Matcher([b"needle", b"dle"], backend)
    data = b"hay needle " * 20000
    want = expected([b"needle", b"dle"], data)
    results: list[bool] = []

    def work() -> None:
        results.extend(set(matcher.find(data)) == want for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 20


def test_scanner_hits_do_not_depend_on_the_backend() -> None:
    values = [Protected("email", "ada@example.org", "email"), Protected("pin", "482913", "pin")]
    payload = b'{"e":"ada@example.org","p":"482913","q":"YWRhQGV4YW1wbGUub3Jn","k":"ada@exa"}'
    hits = {}
    for backend in BACKENDS:
        scanner = LeakScanner(values, b"k" * 32)
        scanner._matcher = Matcher(scanner._patterns, backend)
        hits[backend] = scanner.scan(payload)
    assert len(hits[BACKENDS[0]]) >= 3
    assert all(found == hits[BACKENDS[0]] for found in hits.values())


@pytest.mark.parametrize("backend", BACKENDS)
def test_presence_answers_as_a_regex_search_does(backend: Backend) -> None:
    rng = random.Random(9)
    gates = [Presence(expression, backend) for expression in (rb"[\x20-\x7e\t\n\r]{16}", rb"[0-9a-fA-F]{40}",
                                                             rb"[A-Za-z0-9+/\-_]{16}", rb"\x78[\x01\x9c]")]
    samples = [b"", b"x" * 15, b"x" * 16, b"\x00" + b"a1" * 20 + b"\x00", rng.randbytes(4000) + b"hello world, hi!"]
    samples += [rng.randbytes(size) for size in (1, 100, 3000, 70000)]
    for gate in gates:
        plain = re.compile(gate._regex.pattern, re.DOTALL)
        assert [gate.found_in(data) for data in samples] == [plain.search(data) is not None for data in samples], gate
