"""The requirement-file option reader behind the install confirmation: every spelling pip or
uv accepts for a source-changing option is found, at any include depth, and what cannot be
checked is reported rather than passed. Each bypass from issue #11 is reproduced first."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from envsense.core.install.requirement_options import (
    MAX_FINDINGS,
    MAX_INCLUDE_DEPTH,
    SourceOption,
    source_options,
)

EVIL = "http://127.0.0.1:8765/simple"


def readings(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    return [o.reading for o in source_options(path, environ or {})]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def chain(folder: Path, length: int, last: str) -> Path:
    """req0.txt -r req1.txt -r ... req{length}.txt, whose own text is `last`."""
    for i in range(length):
        write(folder, f"req{i}.txt", f"requests\n-r req{i + 1}.txt\n")
    write(folder, f"req{length}.txt", last)
    return folder / "req0.txt"


# -- the bypasses of issue #11 -------------------------------------------------------------


def test_an_include_chain_deeper_than_eight_files_is_still_read(tmp_path: Path) -> None:
    top = chain(tmp_path, 12, f"--extra-index-url {EVIL}\n")
    assert readings(top) == [f"--extra-index-url {EVIL}"]
    (found,) = source_options(top, {})
    assert found.path.name == "req12.txt"
    assert found.line == 1


def test_include_with_a_tab_is_followed(tmp_path: Path) -> None:
    write(tmp_path, "evil.txt", f"--index-url {EVIL}\n")
    top = write(tmp_path, "requirements.txt", "-r\tevil.txt\n")
    assert readings(top) == [f"--index-url {EVIL}"]


def test_find_links_with_a_tab_is_found(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "--find-links\t/srv/evil\nrequests\n")
    assert readings(top) == ["--find-links /srv/evil"]


@pytest.mark.parametrize(
    ("line", "reading"),
    [
        ("-f/srv/evil", "--find-links /srv/evil"),
        (f"-i{EVIL}", f"--index-url {EVIL}"),
        (f"-i={EVIL}", f"--index-url {EVIL}"),
        (f"-i {EVIL}", f"--index-url {EVIL}"),
        (f"--index-url={EVIL}", f"--index-url {EVIL}"),
        ("--find-link /srv/evil", "--find-links /srv/evil"),
        ("--find /srv/evil", "--find-links /srv/evil"),
        (f"--extra-index {EVIL}", f"--extra-index-url {EVIL}"),
        (f"--extra={EVIL}", f"--extra-index-url {EVIL}"),
        (f"--index {EVIL}", f"--index-url {EVIL}"),
        ("--trusted 127.0.0.1", "--trusted-host 127.0.0.1"),
        ("--no-ind", "--no-index"),
        ("  \t--trusted-host\t\t127.0.0.1  # comment", "--trusted-host 127.0.0.1"),
        (f"requests --extra-index-url {EVIL}", f"--extra-index-url {EVIL}"),
        (f"requests==2.0 --hash=sha256:ab --index-url={EVIL}", f"--index-url {EVIL}"),
    ],
)
def test_every_spelling_of_a_source_option_is_read(tmp_path: Path, line: str, reading: str) -> None:
    top = write(tmp_path, "requirements.txt", f"flask\n{line}\n")
    assert readings(top) == [reading]


def test_abbreviations_that_pip_cannot_resolve_are_shown_not_dropped(tmp_path: Path) -> None:
    # "--e" could be --editable or --extra-index-url: pip refuses it, and so do we silently not.
    top = write(tmp_path, "requirements.txt", f"--e {EVIL}\n--frobnicate x\n")
    found = readings(top)
    assert found == [
        "ambiguous abbreviation of --editable, --extra-index-url: --e",
        "not an option envsense knows: --frobnicate",
    ]


def test_harmless_options_need_no_confirmation(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        "requirements.txt",
        "--pre\n--prefer-binary\n--only-binary :all:\n--no-binary=lxml\n--require-hashes\n"
        "requests==2.0 --hash=sha256:abc \\\n    --hash=sha256:def\n-e ./local/pkg\n"
        "--pr\n-C key=value\n./wheels/pkg-1.0-py3-none-any.whl\n",
    )
    assert readings(top) == []


# -- line syntax -----------------------------------------------------------------------------


def test_continuation_lines_are_joined(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "--extra-index-url \\\n  " + EVIL + "\n")
    (found,) = source_options(top, {})
    assert found.reading == f"--extra-index-url {EVIL}"
    assert found.line == 1


def test_a_line_after_a_commented_continuation_is_read_both_ways(tmp_path: Path) -> None:
    # pip joins `flask # web \` with the next line and then drops it as a comment; a reader
    # that strips comments first keeps it. Whichever installer runs, the user sees it.
    top = write(tmp_path, "requirements.txt", f"flask # web \\\n--index-url {EVIL}\n")
    assert readings(top) == [f"--index-url {EVIL}"]


def test_comments_hide_nothing_but_comments(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", f"# --index-url {EVIL}\nflask#not-a-comment\n")
    assert readings(top) == []


@pytest.mark.parametrize("separator", ["\r", "\r\n", "\x0c", "\u2028"])
def test_odd_line_breaks_do_not_hide_an_option(tmp_path: Path, separator: str) -> None:
    top = write(tmp_path, "requirements.txt", f"flask{separator}--index-url {EVIL}\n")
    assert readings(top) == [f"--index-url {EVIL}"]


def test_environment_variables_are_expanded_like_pip_does(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "${MIRROR_OPTION}\n-r ${EXTRA_FILE}\n")
    write(tmp_path, "extra.txt", "--find-links=/srv/evil\n")
    found = source_options(top, {"MIRROR_OPTION": f"--index-url {EVIL}", "EXTRA_FILE": "extra.txt"})
    assert [o.reading for o in found] == [f"--index-url {EVIL}", "--find-links /srv/evil"]
    assert found[0].text == "${MIRROR_OPTION}"
    assert (
        found[0].describe()
        == f"requirements.txt:1: ${{MIRROR_OPTION}}  (read as --index-url {EVIL})"
    )


def test_direct_references_and_vcs_editables_are_sources(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        "requirements.txt",
        "pkg @ https://example.org/pkg.tar.gz\nother@file:///srv/other\n"
        "-e git+https://example.org/repo.git#egg=repo\n--editable=hg+ssh://host/repo\n"
        "https://example.org/direct-1.0-py3-none-any.whl\n",
    )
    assert readings(top) == [
        "pkg @ https://example.org/pkg.tar.gz",
        "other@file:///srv/other",
        "--editable git+https://example.org/repo.git#egg=repo",
        "--editable hg+ssh://host/repo",
        "https://example.org/direct-1.0-py3-none-any.whl",
    ]


# -- includes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["-r {f}", "-r{f}", "-r={f}", "--requirement={f}", "--requirement {f}", "--requirem {f}",
     "-c {f}", "-c{f}", "--constraint\t{f}", "--cons={f}"],
)  # fmt: skip
def test_every_include_spelling_is_followed(tmp_path: Path, spelling: str) -> None:
    write(tmp_path, "inner.txt", "--trusted-host 127.0.0.1\n")
    top = write(tmp_path, "requirements.txt", spelling.format(f="inner.txt") + "\n")
    assert readings(top) == ["--trusted-host 127.0.0.1"]


def test_a_chain_past_the_cap_is_reported_never_passed(tmp_path: Path) -> None:
    top = chain(tmp_path, MAX_INCLUDE_DEPTH + 30, "flask\n")
    (found,) = source_options(top, {})
    assert "includes nest deeper than" in found.reading
    assert "not checked" in found.describe()


def test_a_1200_file_chain_is_bounded_and_reported(tmp_path: Path) -> None:
    top = chain(tmp_path, 1200, f"--index-url {EVIL}\n")
    started = time.monotonic()
    found = source_options(top, {})
    assert time.monotonic() - started < 2
    assert len(found) == 1
    assert "not checked" in found[0].describe()


def test_a_diamond_of_includes_is_read_once_per_file(tmp_path: Path) -> None:
    # level i has two files, each including both files of level i+1: 2**30 paths, 60 files.
    depth = 30
    for i in range(depth):
        for side in "ab":
            write(tmp_path, f"{i}{side}.txt", f"-r {i + 1}a.txt\n-r {i + 1}b.txt\n")
    write(tmp_path, f"{depth}a.txt", f"--find-links /srv/{depth}\n")
    write(tmp_path, f"{depth}b.txt", "flask\n")
    started = time.monotonic()
    found = source_options(tmp_path / "0a.txt", {})
    assert time.monotonic() - started < 2
    assert [o.reading for o in found] == [f"--find-links /srv/{depth}"]


def test_include_loops_end(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "-r b.txt\n--no-index\n")
    write(tmp_path, "b.txt", "-r a.txt\n")
    assert readings(tmp_path / "a.txt") == ["--no-index"]


def test_an_include_that_is_a_url_is_shown(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "-r https://example.org/reqs.txt\n")
    assert readings(top) == ["requirements read from https://example.org/reqs.txt"]


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
def test_includes_that_cannot_be_checked_are_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    top = write(tmp_path, "requirements.txt", "-r pipe.txt\n-r zero.txt\n-r missing.txt\n")
    started = time.monotonic()
    found = source_options(top, {})
    assert time.monotonic() - started < 2
    assert [(o.line, "not a regular file" in o.reading) for o in found] == [(1, True), (2, True)]


def test_describe_shows_the_reading_only_when_spelt_differently(tmp_path: Path) -> None:
    plain = SourceOption(tmp_path / "r.txt", 3, "--find-links /d", "--find-links /d")
    short = SourceOption(tmp_path / "r.txt", 4, "-f/d", "--find-links /d")
    assert plain.describe() == "r.txt:3: --find-links /d"
    assert short.describe() == "r.txt:4: -f/d  (read as --find-links /d)"


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xef\xbb\xbf", "utf-8"),
    ],
)
def test_files_pip_decodes_by_their_bom_are_read_the_same_way(
    tmp_path: Path, bom: bytes, encoding: str
) -> None:
    top = tmp_path / "requirements.txt"
    top.write_bytes(bom + f"flask\n--index-url {EVIL}\n".encode(encoding))
    assert readings(top) == [f"--index-url {EVIL}"]


def test_a_coding_line_is_honoured_like_pip_does(tmp_path: Path) -> None:
    # Read as UTF-8, \xa0 is no whitespace; read as latin-1 (as declared) it is one.
    top = tmp_path / "requirements.txt"
    top.write_bytes(b"# coding: latin-1\nflask\xa0--index-url " + EVIL.encode() + b"\n")
    assert f"--index-url {EVIL}" in readings(top)


def test_include_paths_are_expanded_as_a_shell_would_too(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    write(tmp_path / "home", "evil.txt", "--find-links /srv/evil\n")
    write(tmp_path, "other.txt", "--no-index\n")
    top = write(
        tmp_path, "requirements.txt", "-r ~/evil.txt\n-r $DIR/other.txt\n-r ${NOPE:-other.txt}\n"
    )
    environ = {"HOME": str(tmp_path / "home"), "DIR": str(tmp_path)}
    assert readings(top, environ) == ["--find-links /srv/evil", "--no-index"]


def test_a_large_file_is_read_in_linear_time(tmp_path: Path) -> None:
    lines = [f"package-{i}==1.0 --hash=sha256:{i:064x}" for i in range(40_000)]
    top = write(tmp_path, "requirements.txt", "\n".join(lines) + "\n-f /srv/evil\n")
    started = time.monotonic()
    assert readings(top) == ["--find-links /srv/evil"]
    assert time.monotonic() - started < 5


def test_a_file_of_millions_of_short_lines_is_read_fast(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "a\n" * 2_000_000 + "b \\\n  -f /srv/evil\n")
    started = time.monotonic()
    found = source_options(top, {})
    assert time.monotonic() - started < 5
    assert [o.reading for o in found] == ["--find-links /srv/evil"]
    assert found[0].line == 2_000_001


def test_too_many_option_lines_are_not_vouched_for(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "--pre\n" * 60_000)
    started = time.monotonic()
    (found,) = source_options(top, {})
    assert time.monotonic() - started < 5
    assert "option lines, so it was not checked" in found.reading


def test_hashed_lock_files_stay_cheap_and_quiet(tmp_path: Path) -> None:
    lines = [
        f"pkg-{i}==1.0 \\\n    --hash=sha256:{i:064x} \\\n    --hash=sha256:{i:063x}f"
        for i in range(20_000)
    ]
    top = write(tmp_path, "requirements.txt", "\n".join(lines) + "\n")
    started = time.monotonic()
    assert readings(top) == []
    assert time.monotonic() - started < 5


def test_a_line_of_a_million_options_is_bounded(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", " ".join(f"-f /d{i}" for i in range(300_000)) + "\n")
    started = time.monotonic()
    found = source_options(top, {})
    assert time.monotonic() - started < 5
    assert len(found) == MAX_FINDINGS + 1
    assert found[-1].reading == f"more than {MAX_FINDINGS} such lines"


def test_an_include_with_a_nul_byte_is_reported_not_a_crash(tmp_path: Path) -> None:
    top = tmp_path / "requirements.txt"
    top.write_bytes(b"-r a\x00b\nflask\n")
    (found,) = source_options(top, {})
    assert "not a valid file name" in found.reading


# -- the grammar, enumerated ----------------------------------------------------------------

# pip's requirement-file long options (pip/_internal/req/req_file.py), written out here so
# the test does not check the reader against its own table.
PIP_LONG_OPTIONS = (
    "--index-url", "--extra-index-url", "--no-index", "--constraint", "--requirement",
    "--editable", "--find-links", "--no-binary", "--only-binary", "--prefer-binary",
    "--require-hashes", "--pre", "--trusted-host", "--use-feature", "--global-option",
    "--config-settings", "--hash",
)  # fmt: skip
SOURCE_VALUES = {
    "--index-url": EVIL,
    "--extra-index-url": EVIL,
    "--find-links": "/srv/evil",
    "--trusted-host": "127.0.0.1",
    "--no-index": None,
}
SHORT_FORMS = {"-i": "--index-url", "-f": "--find-links"}


def spellings(option: str) -> list[str]:
    """The full name and every prefix pip's optparse resolves to it alone."""
    found = []
    for end in range(3, len(option) + 1):
        prefix = option[:end]
        if [o for o in PIP_LONG_OPTIONS if o.startswith(prefix)] == [option] or prefix == option:
            found.append(prefix)
    return found


def lines_for(option: str, value: str | None) -> list[str]:
    names = spellings(option) + [s for s, long in SHORT_FORMS.items() if long == option]
    lines = []
    for name in names:
        if value is None:
            lines.append(name)
            continue
        joins = [" ", "\t", " \t  ", "="]
        if not name.startswith("--"):
            joins.append("")  # -f/dir, -ihttp://...
        lines += [f"{name}{join}{value}" for join in joins]
    return lines


def test_every_spelling_in_every_place_is_found(tmp_path: Path) -> None:
    cases = 0
    missed: list[str] = []
    target = tmp_path / "requirements.txt"
    inner = tmp_path / "inner.txt"
    for option, value in SOURCE_VALUES.items():
        expected = f"{option} {value}" if value is not None else option
        for line in lines_for(option, value):
            variants = [
                line,
                f"\t {line}   # why not",
                f"flask==3.0 {line}",
                f"flask==3.0\t{line}",
                line.replace(line[2:4], line[2:4] + "\\\n", 1),  # split by a continuation
                f"# header\nrequests\n{line}\n",
            ]
            for text in variants:
                cases += 1
                target.write_text(text + "\n")
                if expected not in readings(target):
                    missed.append(repr(text))
            # The plain line once more, an include down, reached through -r<TAB>file.
            inner.write_text(line + "\n")
            target.write_text("-r\tinner.txt\n")
            if expected not in readings(target):
                missed.append("via include: " + repr(line))
    assert cases > 500
    assert missed == []


def test_local_code_from_outside_the_workspace_is_listed(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    project = workspace / "app"
    (project / "libs" / "inner").mkdir(parents=True)
    (workspace / "shared").mkdir()
    top = write(
        project,
        "requirements.txt",
        "./libs/inner\n-e ../shared\n"  # inside the workspace: fine
        f"{tmp_path}/drop/evil-1.0-py3-none-any.whl\n"  # another user's /tmp, say
        f"-e {tmp_path}/drop/pkg\n"
        "../../elsewhere/pkg\n"
        "~/wheels/mine.whl\n",
    )
    environ = {"HOME": str(tmp_path / "home")}
    found = source_options(top, environ, roots=(workspace,), cwd=project)
    assert [(o.line, o.reading) for o in found] == [
        (3, f"local code outside the workspace: {tmp_path}/drop/evil-1.0-py3-none-any.whl"),
        (4, f"local code outside the workspace: {tmp_path}/drop/pkg"),
        (5, "local code outside the workspace: ../../elsewhere/pkg"),
        (6, "local code outside the workspace: ~/wheels/mine.whl"),
    ]
    # Without roots (nothing to compare with) local paths are not judged.
    assert source_options(top, environ) == ()
