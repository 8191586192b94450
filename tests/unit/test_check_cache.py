"""The results cache of `envsense check`: every field survives the trip to disk, a damaged or
older cache is ignored, and a file is trusted by its stat only when that is safe."""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path

import pytest

from envsense.check_report import format_json
from envsense.core import check_cache
from envsense.core.check_cache import (
    CheckCache,
    decode_findings,
    encode_findings,
    encoded_text,
    stat_key,
    valid_findings,
)
from envsense.core.findings import Code, Finding, FixData, Severity, Span


def full_fix(tag: str) -> FixData:
    """A FixData with every field set (whatever fields it grows later)."""
    values: dict[str, object] = {}
    for f in fields(FixData):
        if f.name == "alternatives":
            values[f.name] = (f"{tag}-alt-one", f"{tag}-alt-ü")
        elif f.name == "name_source":
            values[f.name] = "curated"
        else:
            values[f.name] = f'{tag}-{f.name}-\u00e9"\\'
    fix = FixData(**values)  # type: ignore[arg-type]
    assert all(getattr(fix, f.name) not in (None, ()) for f in fields(FixData))
    return fix


def every_finding(file: Path) -> list[Finding]:
    found = [
        Finding(file, Span(i, i + 1, i + 2, i + 3), code, severity, f"{code.value} \u2603 {i}")
        for i, (code, severity) in enumerate(zip(Code, [*Severity] * 5, strict=False))
    ]
    found.append(
        Finding(file, Span(0, 0, 0, 0), Code.MISSING_IMPORT, Severity.ERROR, "", full_fix("a"))
    )
    # Only the first fields set: trailing empty fields are left off and come back empty.
    found.append(
        Finding(file, Span(1, 2, 3, 4), Code.VERSION_MISMATCH, Severity.HINT, "m", FixData("mod"))
    )
    found.append(
        Finding(
            file.parent / "pyproject.toml",
            Span(5, 0, 5, 9),
            Code.NO_ENVIRONMENT,
            Severity.WARNING,
            "elsewhere",
        )
    )
    return found


def test_every_field_round_trips_through_the_file(tmp_path: Path) -> None:
    file = tmp_path / "pkg" / "mod.py"
    findings = every_finding(file)
    cache = CheckCache(tmp_path / "cache.json")
    cache.put(str(file), "digest", "context", (1, 2, 3, 4), encode_findings(file, findings))
    cache.save()
    again = CheckCache(tmp_path / "cache.json")
    encoded = again.peek(str(file), "digest", "context")
    assert encoded is not None
    assert decode_findings(file, encoded) == findings
    assert again.peek(str(file), "other-digest", "context") is None
    assert again.peek(str(file), "digest", "other-context") is None


def test_fix_data_json_is_what_the_editor_gets(tmp_path: Path) -> None:
    fix = full_fix("b")
    data = fix.to_json()
    assert data["alternatives"] == list(fix.alternatives)
    assert set(data) == {f.name for f in fields(FixData)}
    assert FixData.from_json(json.loads(json.dumps(data))) == fix
    assert FixData(module="m", specifier="").to_json() == {"module": "m", "specifier": ""}
    assert FixData().to_json() == {}
    assert FixData.from_json({"module": 3, "name_source": "bogus", "x": "y"}) == FixData()


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe garbage",
        json.dumps({"format": 1, "files": {"/x.py": ["d", "c", []]}}).encode(),
        json.dumps(
            {"format": 2, "version": "0.0.0-old", "trusted_before": 0, "files": {}}
        ).encode(),
        json.dumps([1, 2, 3]).encode(),
    ],
)
def test_a_corrupt_or_old_cache_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "cache.json"
    path.write_bytes(content)
    cache = CheckCache(path)
    assert cache.peek("/x.py", "d", "c") is None
    cache.put("/y.py", "d", "c", (1, 1, 1, 1), [])
    cache.save()
    assert CheckCache(path).peek("/y.py", "d", "c") == []


def test_malformed_entries_are_dropped_or_fail_decoding(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    file = tmp_path / "a.py"
    good = encode_findings(file, every_finding(file))
    document = {
        "format": check_cache._FORMAT,
        "version": check_cache.__version__,
        "trusted_before": 0,
        "files": {
            "/short.py": ["d", "c"],
            "/badstat.py": ["d", "c", "x", 0, 0, 0, []],
            "/badfinding.py": ["d", "c", 0, 0, 0, 0, [[0, 0, 0, 0, "no-such-code", 1, "m", []]]],
            "/badfix.py": ["d", "c", 0, 0, 0, 0, [[0, 0, 0, 0, "missing-import", 1, "m", [5]]]],
            str(file): ["d", "c", 0, 0, 0, 0, good],
        },
    }
    path.write_text(json.dumps(document))
    cache = CheckCache(path)
    assert cache.peek("/short.py", "d", "c") is None
    assert cache.peek("/badstat.py", "d", "c") is None
    bad = cache.peek("/badfinding.py", "d", "c")
    assert bad is not None and decode_findings(Path("/badfinding.py"), bad) is None
    badfix = cache.peek("/badfix.py", "d", "c")
    assert badfix is not None and decode_findings(Path("/badfix.py"), badfix) is None
    assert decode_findings(file, cache.peek(str(file), "d", "c") or []) == every_finding(file)
    # What the CLI outputs without decoding is checked the same way.
    assert valid_findings(good) and not valid_findings(bad) and not valid_findings(badfix)


@pytest.mark.parametrize(
    "item",
    [
        [0, 0, 0, 0, "missing-import", 1, "m", []],
        [0, 0, 0, 0, "missing-import", 1, "m", [], "/other.py"],
        [0, 0, 0, 0, "no-such-code", 1, "m", []],
        [0, 0, 0, 0, "missing-import", 0, "m", []],
        [0, 0, 0, True, "missing-import", 1, "m", []],
        [0, 0, 0, 0, "missing-import", 1, b"m", []],
        [0, 0, 0, 0, "missing-import", 1, "m", [1]],
        [0, 0, 0, 0, "missing-import", 1, "m", [None, None, "made-up"]],
        [0, 0, 0, 0, "missing-import", 1, "m", [], 5],
        [0, 0, 0, 0, "missing-import", 1, "m"],
        [0, 0, 0, 0, ["missing-import"], 1, "m", []],
        "0000missing-import1m",
        {"line": 0},
    ],
)
def test_findings_are_valid_exactly_when_they_decode(item: object) -> None:
    decodes = decode_findings(Path("/a.py"), [item]) is not None
    assert valid_findings([item]) is decodes


def test_stat_is_trusted_only_when_the_file_is_older_than_the_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "a.py"
    file.write_text("import os\n")
    stat = stat_key(os.stat(file))
    path = tmp_path / "cache.json"
    cache = CheckCache(path)
    cache.put(str(file), "d", "c", stat, [])
    cache.save()
    # Written just now: a second edit in the same tick would keep the stat; read it instead.
    assert CheckCache(path).get_by_stat(str(file), stat, "c") is None
    monkeypatch.setattr(check_cache, "RACY_NS", 0)
    cache = CheckCache(path)
    cache.put(str(file), "d", "c", stat, [])
    cache._dirty = True
    cache.save()
    trusted = CheckCache(path)
    assert trusted.get_by_stat(str(file), stat, "c") == []
    assert trusted.get_by_stat(str(file), stat, "other context") is None
    changed = (stat[0] + 1, *stat[1:])
    assert trusted.get_by_stat(str(file), changed, "c") is None  # type: ignore[arg-type]


@pytest.mark.parametrize("repeat", [1, 1000])
def test_json_rows_are_what_json_dumps_writes(tmp_path: Path, repeat: int) -> None:
    # 1000 repeats: the rows cross several of the pieces the CLI writes one by one.
    file = tmp_path / "pkg" / "mod.py"
    findings = every_finding(file) * repeat
    findings.append(
        Finding(
            file, Span(0, 0, 0, 1), Code.MISSING_IMPORT, Severity.ERROR, 'q"u\\o\nté\U0001f600\x00'
        )
    )
    text = format_json(findings, None, tmp_path)
    rows = [
        json.dumps(
            {
                "path": str(f.path.relative_to(tmp_path)),
                "line": f.span.line + 1,
                "column": f.span.column + 1,
                "end_line": f.span.end_line + 1,
                "end_column": f.span.end_column + 1,
                "code": f.code.value,
                "severity": f.severity.label,
                "message": f.message,
            }
        )
        for f in findings
    ]
    body = ",\n    ".join(rows)
    assert text == f'{{\n  "environment": null,\n  "diagnostics": [\n    {body}\n  ]\n}}'
    assert json.loads(text)["diagnostics"][-1]["message"] == findings[-1].message
    assert format_json([], None, tmp_path) == '{\n  "environment": null,\n  "diagnostics": []\n}'


def test_a_cache_saved_in_slices_reads_back_whole(tmp_path: Path) -> None:
    # More entries than one slice of the writer: every entry comes back, as written.
    path = tmp_path / "cache.json"
    cache = CheckCache(path)
    count = 2 * check_cache._SAVE_SLICE + 7
    for i in range(count):
        cache.put(f"/w/f{i}.py", f"d{i}", "c", (1, 2, 3, i), [])
    cache.save()
    assert json.loads(path.read_text())["files"]["/w/f0.py"][:2] == ["d0", "c"]
    again = CheckCache(path)
    for i in range(count):
        assert again.peek(f"/w/f{i}.py", f"d{i}", "c") == []


def test_findings_put_with_their_text_are_saved_as_json_dumps_writes_them(
    tmp_path: Path,
) -> None:
    # A worker hands over the findings' text with them; saving writes that text instead of
    # encoding again. Mixed with entries read back from the file and entries put without
    # it, the file holds exactly what encoding every entry would give.
    file = tmp_path / "pkg" / "mod.py"
    findings = encode_findings(file, every_finding(file))
    path = tmp_path / "cache.json"
    first = CheckCache(path)
    first.put("/w/old.py", "d-old", "c", (1, 2, 3, 4), findings)
    first.save()
    cache = CheckCache(path)
    cache.put("/w/old.py", "d-old", "c", (1, 2, 3, 4), findings)  # unchanged, kept as read
    count = check_cache._SAVE_SLICE + 3
    for i in range(count):
        text = encoded_text(findings) if i % 2 else None
        cache.put(f"/w/ü{i}.py", f"d{i}", "c", (1, 2, 3, i), findings, text)
    cache.put("/w/none.py", "d-none", "c", (5, 6, 7, 8), [], encoded_text([]))
    cache._dirty = True
    cache.save()
    saved = json.loads(path.read_text(encoding="ascii"))["files"]
    expected = {name: entry[:7] for name, entry in cache._entries.items()}
    assert saved == expected and len(saved) == count + 2
    assert saved["/w/ü1.py"][6] == json.loads(json.dumps(findings))
    again = CheckCache(path)
    for i in range(count):
        stored = again.peek(f"/w/ü{i}.py", f"d{i}", "c")
        assert stored is not None and decode_findings(file, stored) == every_finding(file)
