"""Build small, real wheels in a test session (no network, no build backend needed).

A wheel is a zip with a `.dist-info` folder; building one by hand keeps each test fast
and lets it fabricate exactly the metadata quirk it is about (no top_level.txt, stubs
only, an extension module for another ABI, ...).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WheelSpec:
    """What goes into the wheel: `files` maps archive paths to their text."""

    name: str
    version: str = "1.0"
    files: dict[str, str | bytes] = field(default_factory=dict)
    requires: list[str] = field(default_factory=list)
    top_level: list[str] | None = None  # None: no top_level.txt, like hatchling/flit wheels
    tag: str = "py3-none-any"

    @property
    def dist_info(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.dist-info"

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-{self.tag}.whl"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(spec: WheelSpec, dest: Path) -> Path:
    """Write the wheel into `dest` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    metadata = ["Metadata-Version: 2.1", f"Name: {spec.name}", f"Version: {spec.version}"]
    metadata += [f"Requires-Dist: {req}" for req in spec.requires]
    contents: dict[str, bytes] = {
        path: text.encode() if isinstance(text, str) else text for path, text in spec.files.items()
    }
    contents[f"{spec.dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    contents[f"{spec.dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: envsense-tests\nRoot-Is-Purelib: true\nTag: {spec.tag}\n"
    ).encode()
    if spec.top_level is not None:
        contents[f"{spec.dist_info}/top_level.txt"] = ("\n".join(spec.top_level) + "\n").encode()
    record = [_record_line(path, data) for path, data in contents.items()]
    record.append(f"{spec.dist_info}/RECORD,,")
    contents[f"{spec.dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = dest / spec.filename
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel


def simple_wheel(
    dest: Path, name: str, module: str | None = None, version: str = "1.0", **kw: object
) -> Path:
    """A wheel for `name` providing one package `module` (default: the name with _)."""
    module = module or name.replace("-", "_").lower()
    files = {f"{module}/__init__.py": f"__version__ = {version!r}\n"}
    return build_wheel(WheelSpec(name=name, version=version, files=files, **kw), dest)  # type: ignore[arg-type]
