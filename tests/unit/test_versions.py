from envsense.core.versions import PythonVersion


def test_reads_every_spelling_found_on_disk() -> None:
    assert str(PythonVersion.parse("3.12.1")) == "3.12.1"
    assert str(PythonVersion.parse("3.12.1.final.0")) == "3.12.1"  # pyvenv.cfg version_info
    assert str(PythonVersion.parse("3.13.0rc2")) == "3.13.0rc2"
    assert str(PythonVersion.parse("3.14.0.candidate.1")) == "3.14.0rc1"


def test_x_y_only_is_marked_inexact() -> None:
    version = PythonVersion.parse("3.12")
    assert version is not None
    assert (version.short, version.exact) == ("3.12", False)


def test_garbage_is_none_and_versions_order() -> None:
    assert PythonVersion.parse("python") is None
    assert PythonVersion.parse("") is None
    older, newer = PythonVersion.parse("3.9.18"), PythonVersion.parse("3.10.1")
    assert older is not None and newer is not None and older < newer
