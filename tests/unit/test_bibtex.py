"""references.bib read by bibtexparser: the packaged file, edge cases and malformed entries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trdlab.errors import ModelError
from trdlab.model.library import default_root, load_references
from trdlab.model.validate import _bib_issues


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "references.bib").write_text(text, encoding="utf-8")
    return tmp_path


def test_packaged_references_have_one_key_per_entry() -> None:
    text = (default_root() / "references.bib").read_text(encoding="utf-8")
    # Independent reading: every entry of this file starts a line with "@type{key,".
    keys = re.findall(r"^@\w+\{([^,\s]+),", text, flags=re.MULTILINE)
    assert len(keys) == text.count("@") > 100
    references = load_references()
    assert sorted(references) == sorted(keys)
    dois = re.findall(r"^\s*doi\s*=", text, flags=re.MULTILINE | re.IGNORECASE)
    assert sum(doi is not None for doi in references.values()) == len(dois)
    assert references["kamp2020"] == "10.1097/ALN.0000000000003577"
    assert _bib_issues(None) == []


def test_braces_in_title_and_doi_in_quotes_or_braces(tmp_path: Path) -> None:
    root = _write(tmp_path, (
        "@article{braces,\n  title = {The {NMDA} receptor {and {nested}} braces},\n  doi = {10.1/braces}\n}\n\n"
        '@article{quotes,\n  title = "A {BDNF} title",\n  DOI = " 10.1/quotes "\n}\n\n'
        "@book{nodoi,\n  title = {No DOI, but a comma}\n}\n"
    ))
    assert load_references(root) == {"braces": "10.1/braces", "quotes": "10.1/quotes", "nodoi": None}


def test_missing_file_gives_no_references(tmp_path: Path) -> None:
    assert load_references(tmp_path) == {}


def test_duplicate_key_keeps_first_and_is_reported_by_validation(tmp_path: Path) -> None:
    root = _write(tmp_path, "@article{a,\n  doi = {10.1/first}\n}\n\n@misc{a,\n  doi = {10.1/second}\n}\n")
    assert load_references(root) == {"a": "10.1/first"}
    issues = _bib_issues(root)
    assert [(i.field, i.message) for i in issues] == [("a", "key 'a' is defined 2 times")]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("@article{ok,\n  doi = {10.1/ok}\n}\n\n@article{broken,\n  title = {unclosed,\n  doi = {10.1/b}\n\n"
         "@misc{after,\n  title = {x}\n}\n", ["line 5", "@article{broken", "field-value closing"]),
        ("@article{nocomma\n  title = {x}\n}\n", ["line 1", "@article{nocomma", "comma after entry key"]),
        ("@article{twice,\n  doi = {1},\n  doi = {2}\n}\n", ["line 1", "'twice'", "Duplicate field keys"]),
        ("@article{,\n  title = {x}\n}\n", ["line 1", "entry without key"]),
    ],
    ids=["unclosed-brace", "no-comma-after-key", "field-twice", "no-key"],
)
def test_malformed_entry_is_one_error_naming_file_and_entry(tmp_path: Path, text: str, named: list[str]) -> None:
    root = _write(tmp_path, text)
    with pytest.raises(ModelError) as info:
        load_references(root)
    message = str(info.value)
    assert str(root / "references.bib") in message and "not valid BibTeX" in message
    for part in named:
        assert part in message, message
    issues = _bib_issues(root)
    assert len(issues) == 1 and issues[0].field == "syntax" and message in issues[0].message
