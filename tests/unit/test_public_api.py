"""Every public name is documented (PINTS's practice): a docstring with a one-line summary."""

from __future__ import annotations

import inspect

import pytest

import trdlab


@pytest.mark.parametrize("name", [n for n in trdlab.__all__ if n != "__version__"])
def test_public_name_has_a_docstring(name: str) -> None:
    obj = getattr(trdlab, name)
    doc = inspect.getdoc(obj)
    assert doc and doc.splitlines()[0].strip(), f"trdlab.{name} has no docstring summary"


def test_public_functions_are_fully_annotated() -> None:
    for name in trdlab.__all__:
        obj = getattr(trdlab, name)
        if inspect.isfunction(obj):
            signature = inspect.signature(obj)
            missing = [p for p, v in signature.parameters.items() if v.annotation is inspect.Parameter.empty]
            assert not missing and signature.return_annotation is not inspect.Signature.empty, (name, missing)
