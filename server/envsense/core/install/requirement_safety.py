"""The gate every requirement passes before it may reach an installer's argument list.

Nothing typed by a user, read from a workspace or guessed from an import name goes to
pip/uv unless `packaging` accepts it as one PEP 508 requirement that cannot be read as an
option (leading `-`), carries no line breaks or control characters, and names no URL
unless the caller says the URL came from a manifest the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# Anything that is not printable, plus the whitespace a shell or a requirements parser
# would treat as a separator; ordinary spaces are fine ("requests >= 2; os_name == 'nt'").
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")


# pip's archive extensions (pip/_internal/utils/filetypes.py).
_ARCHIVE_SUFFIXES = (
    ".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
    ".tlz", ".tar.lz", ".tar.lzma",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CheckedRequirement:
    """A requirement that passed the gate; `text` is packaging's own rendering of it."""

    requirement: Requirement
    text: str

    @property
    def name(self) -> str:
        return self.requirement.name

    @property
    def canonical_name(self) -> str:
        return canonicalize_name(self.requirement.name)


@dataclass(frozen=True, slots=True)
class RejectedRequirement:
    """Why a requirement string was refused; `text` is the input as received."""

    text: str
    reason: str


def check_requirement(
    text: str, *, allow_url: bool = False
) -> CheckedRequirement | RejectedRequirement:
    """Validate one requirement string; URLs pass only with `allow_url` (declared ones)."""
    if _FORBIDDEN_CHARS.search(text):
        return RejectedRequirement(text, "contains a line break or control character")
    stripped = text.strip()
    if not stripped:
        return RejectedRequirement(text, "is empty")
    if stripped.startswith("-"):
        return RejectedRequirement(text, "starts with '-' and would be read as an option")
    try:
        requirement = Requirement(stripped)
    except InvalidRequirement as error:
        return RejectedRequirement(text, f"is not a valid requirement ({error})")
    if requirement.url is None and requirement.name.lower().endswith(_ARCHIVE_SUFFIXES):
        # pip installs `name.whl`/`name.zip` from a file of that name in its working folder
        # (the project) instead of the index; a name like that is never a project's name.
        return RejectedRequirement(
            text, "looks like an archive file name, which pip reads as a local file"
        )
    if requirement.url is not None and not allow_url:
        return RejectedRequirement(
            text, "points at a URL; only requirements declared in a manifest may do that"
        )
    rendered = str(requirement)
    # Belt and braces: packaging's rendering is what reaches argv, so check it too.
    if rendered.startswith("-") or _FORBIDDEN_CHARS.search(rendered):
        return RejectedRequirement(text, "renders to an unsafe argument")
    return CheckedRequirement(requirement, rendered)


def trap_hint(name: str) -> str | None:
    """For a trap name, the distribution that is usually meant; None for ordinary names.

    The traps are the curated module map's (`core/data/module_map.py`): import names whose
    namesake on the index is another project, a stub or a shim (`attr`, `jwt`, `sklearn`).
    """
    return _trap_index().get(canonicalize_name(name))


@lru_cache(maxsize=1)
def _trap_index() -> dict[str, str]:
    from envsense.core.environment.modulemap import curated_table

    index: dict[str, str] = {}
    for module, entry in curated_table().items():
        if not entry.trap or not entry.distributions or "." in module:
            continue
        meant = entry.distributions[0]
        if canonicalize_name(meant) != canonicalize_name(module):
            index.setdefault(canonicalize_name(module), meant)
    return index


def dist_name_from_dist_info(folder: Path) -> str | None:
    """`Foo_Bar-1.0.dist-info` -> `foo-bar`; None if the folder name is not a dist-info."""
    stem = folder.name
    if not stem.endswith(".dist-info") or "-" not in stem:
        return None
    name = stem[: -len(".dist-info")].split("-", 1)[0]
    if not name or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._]*", name):
        return None
    return canonicalize_name(name)
