"""Hostile model files (issue 12): no hang, no unchecked allocation, strict numbers,
short error messages, gzip bombs, for the BIF and UAI readers."""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from pgm import MemoryBudgetError, ModelLoadError, ParseError
from pgm.io import read_bif, read_evidence, read_mar, read_pr, read_uai

HEAD = "network n {\n}\nvariable a {\n  type discrete [ 2 ] { yes, no };\n}\n"  # lines 1-5


def _table(body: str) -> str:
    return HEAD + "probability ( a ) {\n  table " + body + ";\n}\n"  # the table is on line 7


def _run(code: str, timeout: float = 20) -> str:
    """Run ``code`` in a fresh interpreter; a hang fails the test instead of the suite."""
    try:
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                             text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout} s (quadratic tokenizing?)")
    assert out.returncode == 0, out.stderr
    return out.stdout


# ------------------------------------------------------------------ linear time
def test_a_200000_digit_run_followed_by_a_letter_fails_fast() -> None:
    # with the old backtracking tokenizer: 4 s for 10,000 digits, 40 s for 30,000
    out = _run("""
        from pgm import ParseError
        from pgm.io import read_bif
        head = "network n { }\\nvariable a { type discrete [ 2 ] { y, n }; }\\n"
        try:
            read_bif(head + "probability ( a ) { table " + "1" * 200000 + "x; }\\n")
        except ParseError as exc:
            print("ParseError", exc.line, len(str(exc)))
    """)
    kind, line, length = out.split()
    assert kind == "ParseError" and line == "3" and int(length) < 300


# inputs that made a backtracking tokenizer scan the same text again and again
# (Python expressions in n, the length, evaluated in the subprocess)
ADVERSARIAL = {
    "digits then a letter": '"1" * n + "x"',
    "a fraction then a letter": '"1." + "1" * n + "x"',
    "an exponent then a letter": '"1e" + "1" * n + "x"',
    "a run of numbers then a letter": '"0.1, " * (n // 5) + "1x"',
    "a row without ';'": '"(a) " + "0.1 " * (n // 4) + "}"',
    "open parentheses": '"(a" * (n // 2)',
    "unterminated comments": '"/*" * (n // 2)',
    "unterminated quotes": '(chr(34) + chr(92)) * (n // 2)',  # a quote, a backslash, ...
    "commas and spaces": '"1" + " ," * (n // 2) + "x"',
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_tokenizing_is_linear(name: str) -> None:
    out = _run(f"""
        import time
        from pgm import PGMError
        from pgm.io.bif import _tokenize, read_bif
        for n in (10000, 100000):
            text = "network n {{\\n" + ({ADVERSARIAL[name]})
            t0 = time.perf_counter()
            _tokenize(text)
            try:
                read_bif(text)
            except PGMError:
                pass
            print(time.perf_counter() - t0)
    """)
    small, large = map(float, out.split())
    # linear: 10x the input, about 10x the time (milliseconds); quadratic: 100x, seconds
    assert large < 2.0, (small, large)


# ----------------------------------------------------------------------- memory
def test_a_2mb_table_parses_in_a_small_multiple_of_its_size() -> None:
    k = 17  # a child and 17 binary parents: 262,144 numbers, about 2 MB of text
    names = [f"p{i}" for i in range(k)]
    text = (HEAD + "".join(f"variable {p} {{ type discrete [ 2 ] {{ y, n }}; }}\n" for p in names)
            + "".join(f"probability ( {p} ) {{ table 0.5, 0.5; }}\n" for p in names)
            + f"probability ( a | {', '.join(names)} ) {{\n  table "
            + ", ".join(f"0.{i % 7 + 1}00001" for i in range(2 ** k))
            + ", " + ", ".join(f"0.{9 - i % 7}99999" for i in range(2 ** k)) + ";\n}\n")
    size = len(text)
    assert size > 2_000_000
    tracemalloc.start()
    try:
        bn = read_bif(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
    values = bn.get_cpd("a").values
    assert values.shape == (2,) * (k + 1)
    assert values[(0,) * k].tolist() == [0.100001, 0.999999]


def test_a_large_uai_file_parses_in_a_small_multiple_of_its_size() -> None:
    k = 18
    text = (f"MARKOV\n{k}\n{' '.join(['2'] * k)}\n1\n{k} {' '.join(map(str, range(k)))}\n"
            f"{2 ** k}\n" + " ".join(["0.25"] * 2 ** k) + "\n")
    tracemalloc.start()
    try:
        fg = read_uai(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(text)
    assert fg.factors[0].values.size == 2 ** k


# ------------------------------------------------------------------ allocation
def _forty_parents(body: str, k: int = 40) -> str:
    names = [f"p{i}" for i in range(k)]
    return ("network big { }\nvariable c { type discrete [ 2 ] { y, n }; }\n"
            + "".join(f"variable {p} {{ type discrete [ 2 ] {{ y, n }}; }}\n" for p in names)
            + "".join(f"probability ( {p} ) {{ table 0.5, 0.5; }}\n" for p in names)
            + f"probability ( c | {', '.join(names)} ) {{\n  {body}\n}}\n")


def test_a_default_row_over_40_parents_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "forty.bif"
    path.write_text(_forty_parents("default 0.5, 0.5;"))
    assert path.stat().st_size < 4000  # asked for 16 TiB
    t0 = time.perf_counter()
    with pytest.raises(MemoryBudgetError) as info:
        read_bif(path)
    assert time.perf_counter() - t0 < 5
    msg = str(info.value)
    assert str(path) in msg and "line 83" in msg and "'c'" in msg
    assert "1099511627776 parent assignments" in msg and "memory budget" in msg


@pytest.mark.parametrize("k", [40, 64, 70])  # 64 and more binary parents overflow int64
def test_huge_tables_without_the_numbers_are_parse_errors(k: int) -> None:
    with pytest.raises(ParseError, match="no row for"):  # a row, no default: found without
        read_bif(_forty_parents("(" + ", ".join(["y"] * k) + ") 0.5, 0.5;", k))  # a table
    with pytest.raises(ParseError, match="has 2 probabilities, expected"):
        read_bif(_forty_parents("table 0.5, 0.5;", k))
    with pytest.raises(ParseError, match="no row for"):  # the last row: index 2**k - 1
        read_bif(_forty_parents("(" + ", ".join(["n"] * k) + ") 0.5, 0.5;", k))
    for budget in (None, 1e30):  # over the budget, or more than any machine has
        with pytest.raises(MemoryBudgetError):
            read_bif(_forty_parents("default 0.5, 0.5;", k), memory_budget=budget)


def test_the_memory_budget_argument_and_environment_apply(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    text = _forty_parents("default 0.5, 0.5;", 10)  # 1024 rows: 16 KiB
    assert read_bif(text).get_cpd("c").values.shape == (2,) * 11
    with pytest.raises(MemoryBudgetError, match="the table of variable 'c'"):
        read_bif(text, memory_budget=10_000)
    monkeypatch.setenv("PGM_MEMORY_BUDGET", "10000")
    with pytest.raises(MemoryBudgetError):
        read_bif(text)
    monkeypatch.delenv("PGM_MEMORY_BUDGET")
    uai = "MARKOV\n10\n" + " ".join(["2"] * 10) + "\n1\n10 " + " ".join(map(str, range(10)))
    uai += "\n1024\n" + " ".join(["1"] * 1024) + "\n"
    assert read_uai(uai).factors[0].values.size == 1024
    with pytest.raises(MemoryBudgetError, match="line 5: the table of factor 0"):
        read_uai(uai, memory_budget=4000)
    path = tmp_path / "m.uai"
    path.write_text(uai)
    with pytest.raises(MemoryBudgetError, match="reading the file"):
        read_uai(path, memory_budget=1000)


# ---------------------------------------------------------------------- numbers
@pytest.mark.parametrize("token", ["1_0", "0_5", "\u0661\u0662", "\uff11", "0.\u0665", "nan",
                                   "inf", "0x1", "1e", "1.2.3", "--1", "\u00bd"])
def test_bif_probabilities_are_ascii_decimals(token: str) -> None:
    with pytest.raises(ParseError) as info:
        read_bif(_table(f"{token}, 0.5"))
    assert info.value.line == 7 and info.value.token == token, str(info.value)


@pytest.mark.parametrize("count", ["1_0", "\u0662", "+2", "2.0", "2e0"])
def test_bif_state_counts_are_ascii_integers(count: str) -> None:
    text = HEAD.replace("[ 2 ]", f"[ {count} ]")
    with pytest.raises(ParseError, match="expected the number of states") as info:
        read_bif(text)
    assert info.value.line == 4


def test_a_huge_state_count_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="too many states"):
        read_bif(HEAD.replace("[ 2 ]", "[ " + "9" * 5000 + " ]"))


def test_names_may_hold_any_digits() -> None:
    text = ("network n { }\nvariable a { type discrete [ 2 ] { \u0661, 1_0 }; }\n"
            "probability ( a ) { table 0.25, 0.75; }\n")
    assert read_bif(text).state_names("a") == ["\u0661", "1_0"]


UAI_OK = "MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 2 3 4\n"


@pytest.mark.parametrize("old, new, line", [
    ("MARKOV\n2\n", "MARKOV\n1_0\n", 2),  # number of variables
    ("\n2 2\n", "\n2 \u0662\n", 3),  # a cardinality
    ("\n1\n2 0 1", "\n\u0661\n2 0 1", 4),  # number of factors
    ("2 0 1\n", "2 0 \u0661\n", 5),  # a scope index
    ("\n4\n", "\n4_0\n", 6),  # an entry count
    ("1 2 3 4", "1 2 3_0 4", 7),  # entries
    ("1 2 3 4", "1 2 \u0663 4", 7),
    ("1 2 3 4", "1 2 inf 4", 7),
    ("1 2 3 4", "1 2 NaN 4", 7),
    ("1 2 3 4", "1 2 3,5 4", 7),
])
def test_uai_numbers_are_ascii_decimals(old: str, new: str, line: int) -> None:
    assert read_uai(UAI_OK).factors[0].values.tolist() == [[1, 2], [3, 4]]
    text = UAI_OK.replace(old, new, 1)
    assert text != UAI_OK
    with pytest.raises(ParseError) as info:
        read_uai(text)
    assert info.value.line == line, str(info.value)


def test_uai_evidence_and_solutions_are_ascii_decimals() -> None:
    assert read_evidence("1 0 1\n") == {0: 1}
    for bad in ("1 0 1_0\n", "1 \u0660 1\n", "1_0\n"):
        with pytest.raises(ParseError):
            read_evidence(bad)
    assert read_pr("PR\n-3.5\n") == -3.5
    assert read_pr("PR\n-inf\n") == -np.inf  # Z = 0 under the evidence
    for bad in ("PR\n1_0\n", "PR\n\u0661\n", "PR\nnan\n"):
        with pytest.raises(ParseError):
            read_pr(bad)
    with pytest.raises(ParseError, match="expected a number"):
        read_mar("MAR\n1\n2 0.5 0_5\n")


# --------------------------------------------------------------- error messages
def test_parse_errors_stay_short() -> None:
    errors = []
    for text in (_table("1" * 2_000_000 + "x"),
                 HEAD.replace("{ yes, no }", "{ " + ", ".join(f"s{i}" for i in range(200_000)) + " }"),
                 HEAD + "probability ( " + "z" * 1_000_000 + " ) { table 1; }\n",
                 _table("0.5, 0.5") + "x" * 3_000_000):
        with pytest.raises(ParseError) as info:
            read_bif(text)
        errors.append(str(info.value))
    with pytest.raises(ParseError) as info:
        read_uai(UAI_OK.replace("1 2 3 4", "1 2 " + "3" * 2_000_000 + "x 4"))
    errors.append(str(info.value))
    for e in errors:
        assert len(e) < 1500, e[:200]
    assert "(2000001 characters)" in errors[-1]


def test_a_negative_number_in_a_row_names_its_line() -> None:
    text = (HEAD + "variable b {\n  type discrete [ 2 ] { on, off };\n}\n"
            "probability ( a ) {\n  table 0.5, 0.5;\n}\nprobability ( b | a ) {\n"
            "  (yes) 0.1, 0.9;\n  (no) -0.5, 1.5;\n}\nprobability ( a ) {\n")
    with pytest.raises(ParseError, match="negative probability -0.5") as info:
        read_bif(text)
    assert info.value.line == 14 and info.value.token == "-0.5"


# ------------------------------------------------------------------------- gzip
def test_a_gzip_bomb_is_refused_while_decompressing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.bif.gz"
    path.write_bytes(gzip.compress(b" " * 64 * 2**20))  # 64 MiB of spaces in 64 KiB
    assert path.stat().st_size < 2**17
    tracemalloc.start()
    try:
        with pytest.raises(MemoryBudgetError, match="decompressing the file"):
            read_bif(path, memory_budget=8 * 2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_damaged_gzip_files_are_load_errors(tmp_path: Path) -> None:
    data = gzip.compress(_table("0.5, 0.5").encode())
    damaged = {"truncated": data[:-12], "cut short": data[:12], "crc": data[:-8] + b"\0" * 8,
               "junk after": data + b"junk", "flipped": data[:20] + bytes([data[20] ^ 0xFF])
               + data[21:]}
    for name, blob in damaged.items():
        path = tmp_path / f"{name}.bif.gz"
        path.write_bytes(blob)
        with pytest.raises((ModelLoadError, ParseError)):
            read_bif(path)
    ok = tmp_path / "ok.bif.gz"
    ok.write_bytes(data + b"\0" * 16)  # zero padding, as gzip allows
    assert read_bif(ok).get_cpd("a").values.tolist() == [0.5, 0.5]
    two = tmp_path / "two.uai.gz"  # two gzip members, as `cat a.gz b.gz` makes
    two.write_bytes(gzip.compress(UAI_OK[:20].encode()) + gzip.compress(UAI_OK[20:].encode()))
    assert read_uai(two).factors[0].values.tolist() == [[1, 2], [3, 4]]


def test_non_utf8_files_fall_back_to_latin1(tmp_path: Path) -> None:
    text = HEAD.replace("yes", "s\u00ed") + "probability ( a ) { table 0.5, 0.5; }\n"
    for name, blob in (("l1.bif", text.encode("latin-1")),
                       ("l1.bif.gz", gzip.compress(text.encode("latin-1"))),
                       ("u8.bif.gz", gzip.compress(text.encode("utf-8")))):
        path = tmp_path / name
        path.write_bytes(blob)
        assert read_bif(path).state_names("a") == ["s\u00ed", "no"]
