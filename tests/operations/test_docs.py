"""The docs name tests and files as evidence; every one they name must exist."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md")))]
TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
PATH = re.compile(
    r"`((?:tests|surveys|accounts|api|lib|config|dbtools|scripts|deploy|loadtest|docs)/[\w/.-]+\.\w+)"
)


def defined_tests(path):
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_security_names_its_evidence():
    assert len(TEST.findall((ROOT / "docs/security.md").read_text())) > 20


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_and_file_a_doc_names_exists(doc):
    text = (ROOT / doc).read_text()
    missing = [
        f"{path}::{name}"
        for path, name in TEST.findall(text)
        if not (ROOT / path).exists() or name not in defined_tests(path)
    ]
    missing += [path for path in PATH.findall(text) if not (ROOT / path).exists()]
    assert missing == []
