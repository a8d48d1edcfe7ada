"""The docs name tests as evidence; every test they name must exist."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def defined_tests(path):
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("doc", ["docs/security.md"])
def test_every_test_a_doc_names_exists(doc):
    references = REFERENCE.findall((ROOT / doc).read_text())
    assert len(references) > 20
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (ROOT / path).exists() or name not in defined_tests(path)
    ]
    assert missing == []
