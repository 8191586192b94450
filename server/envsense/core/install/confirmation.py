"""What the user is asked before an install: guessed and trap names, URLs, and every
setting in a requirements file or installer config file that changes where packages come
from. The plan (plan.py) needs confirmation exactly when these lines are not empty."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.install.installer_config import (
    ConfigSetting,
    config_file_settings,
    pip_site_settings,
    uv_project_settings,
)
from envsense.core.install.project_sources import project_sources
from envsense.core.install.requirement_options import source_options
from envsense.core.install.requirement_safety import (
    CheckedRequirement,
    check_requirement,
    trap_hint,
)
from envsense.core.install.target import InstallTarget

if TYPE_CHECKING:
    from envsense.core.install.plan import InstallRequest, PackageRequest


def confirmation_lines(
    request: InstallRequest, checked: list[CheckedRequirement], files: list[Path]
) -> list[str]:
    lines: list[str] = []
    by_text = {p.requirement.strip(): p for p in request.packages}
    for item in checked:
        package = by_text.get(item.text) or _match_by_name(request.packages, item)
        source = package.name_source if package else "declared"
        module = package.module if package else None
        if source == "guessed" and module:
            lines.append(
                f"'{item.name}' is only guessed from the import name '{module}': "
                "check it is the project you mean before installing."
            )
        elif source == "guessed":
            lines.append(
                f"'{item.name}' is not declared by the project, not installed, and not known "
                "for any import of this file: check it is the project you mean before installing."
            )
        hint = trap_hint(item.name)
        if hint is not None and source not in ("declared", "installed"):
            lines.append(
                f"'{item.name}' on the package index is not what '{item.name}' imports "
                f"usually come from (that is '{hint}'); it is never installed without confirmation."
            )
        if item.requirement.url is not None:
            lines.append(f"'{item.name}' is downloaded from {item.requirement.url}")
    seen: set[Path] = set()
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        roots = request.workspace_roots or tuple(p for p in (request.project_root,) if p)
        cwd = request.project_root or path.parent
        options = source_options(path, request.env_vars, roots=roots, cwd=cwd)
        if options:
            lines.append(f"{path.name} changes where packages come from or whom to trust:")
            lines += _capped([f"  {o.describe()}" for o in options])
    return lines


def config_confirmation_lines(
    request: InstallRequest, target: InstallTarget, installer: str
) -> list[str]:
    """Index/trust settings from installer config files a workspace could have written."""
    root = request.project_root
    inside = tuple(p for p in (root,) if p is not None)
    settings: list[ConfigSetting] = []
    if installer == "uv":
        if root is not None:
            settings += uv_project_settings(root)
        settings += [
            s for s in config_file_settings(request.env_vars, inside) if s.path.suffix == ".toml"
        ]
    elif installer in ("pip", "pipenv"):
        prefix = target.prefix
        if prefix is not None and any(prefix == p or p in prefix.parents for p in inside):
            settings += pip_site_settings(prefix)
        settings += [
            s for s in config_file_settings(request.env_vars, inside) if s.path.suffix != ".toml"
        ]
    if root is not None and (request.install_project or request.add_to_project):
        settings += project_sources(installer, root)
    if not settings:
        return []
    lines = [f"{installer} settings in the project change where packages come from:"]
    lines += _capped([f"  {setting.describe()}" for setting in settings])
    return lines


def _match_by_name(
    packages: tuple[PackageRequest, ...], item: CheckedRequirement
) -> PackageRequest | None:
    for package in packages:
        result = check_requirement(package.requirement, allow_url=package.allow_url)
        if isinstance(result, CheckedRequirement) and result.canonical_name == item.canonical_name:
            return package
    return None


# A question is read, not scrolled: the first lines of each kind, then how many more.
SHOWN_LINES = 20
LINE_CHARS = 300


def _capped(lines: list[str]) -> list[str]:
    shown = [line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…" for line in lines]
    if len(shown) <= SHOWN_LINES:
        return shown
    return [*shown[:SHOWN_LINES], f"  ... and {len(shown) - SHOWN_LINES} more"]
