"""Lazy-import tables in a package's __init__.py, and the look that skips parsing files
that can't hold one."""

from __future__ import annotations

import pytest

from envsense.core.checks.lazy_attrs import lazy_attribute_table, may_hold_table, parsed_table

TABLES = {
    "celery": 'recreate_module(__name__, by_module={"celery.app.task": ["Task"]})\n',
    "transformers": (
        "_import_structure = {\n"
        '    "models.bert": ["BertModel", "BertConfig"],  # the BERT family\n'
        '    "models.gpt2"  # a comment between the key and its value\n'
        "    :\n"
        "    # and one after the colon\n"
        '    ("GPT2Model",),\n'
        "}\n"
    ),
    "lazy_loader": "attach(__name__, submod_attrs={'filters': {'gaussian'}})\n",
    "parenthesised": '_table = {("pkg.sub"): \\\n    ["Name"]}\n',
    "triple": 'T = {"""pkg.sub""": ["Name"]}\n',
    "concatenated": 'T = {"pkg" ".sub": ["Name"]}\n',
    "commented_value": (
        'T = {\n    "pkg.sub": [\n        # the one that\'s "lazy"\n        "Name",\n    ],\n}\n'
    ),
    "escaped_name": 'T = {"pkg.sub": ["N\\u0061me"]}\n',
    "sentence_first": 'T = {"pkg.sub": ("not a name", "Name")}\n',
}
NOT_TABLES = {
    "schema": "CONFIG_SCHEMA = vol.Schema({vol.Required(CONF_HOST): cv.string})\n",
    "plain": 'DOMAIN = "x"\nPLATFORMS = [Platform.SENSOR]\ndef f(a: "int") -> None: ...\n',
    "values": 'DATA = {"a": 1, "b": "text"}\n',
    "no_braces": "from .models import Task\n",
    # django's fields/__init__.py (100 kB): a message, not names.
    "message": (
        'removed = {\n    "msg": (\n        "CommaSeparatedIntegerField is removed except for "\n'
        '        "support in historical migrations."\n    ),\n}\n'
    ),
    # django's conf/locale: dicts of dicts.
    "nested": 'LANG_INFO = {"af": {"bidi": False, "code": "af"}}\n',
    "not_only_strings": 'T = {"pkg.sub": ["Name", OTHER]}\n',
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_are_found_whatever_their_layout(name: str) -> None:
    text = TABLES[name]
    assert may_hold_table(text)
    table = lazy_attribute_table(text, "pkg")
    assert table == parsed_table(text, "pkg")
    assert table


@pytest.mark.parametrize("name", sorted(NOT_TABLES))
def test_files_without_a_table_are_not_parsed(name: str) -> None:
    text = NOT_TABLES[name]
    assert not may_hold_table(text)
    assert parsed_table(text, "pkg") == {}


def test_the_table_maps_names_to_absolute_modules() -> None:
    table = lazy_attribute_table(TABLES["transformers"], "transformers")
    assert table == {
        "BertModel": "transformers.models.bert",
        "BertConfig": "transformers.models.bert",
        "GPT2Model": "transformers.models.gpt2",
    }
