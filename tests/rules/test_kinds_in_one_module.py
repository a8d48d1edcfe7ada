"""A kind of question lives in one module (surveys/kinds/): nothing outside that package and
its answer-page templates names a kind, and a new kind needs exactly the places
docs/architecture.md lists ("What a new kind touches")."""

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from surveys.kinds import KINDS, Kind

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "surveys", "integrations", "api", "dbtools", "lib", "config", "scripts"]
KINDS_PACKAGE = ROOT / "surveys" / "kinds"
KIND_TEMPLATES = ROOT / "surveys" / "templates" / "surveys" / "public" / "kinds"
KEYS = set(KINDS)
CHOICE_NAMES = {key.upper() for key in KEYS}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


CLASSES = {cls.__name__ for cls in _subclasses(Kind) if cls.__module__.startswith("surveys.")}


def _sources(suffix):
    for app in APPS:
        for path in (ROOT / app).rglob(f"*{suffix}"):
            if KINDS_PACKAGE in path.parents or KIND_TEMPLATES in path.parents:
                continue
            if "migrations" in path.parts:
                continue  # a migration records the choices there were
            yield path


def _naming(tree):
    """(line, what) for each place `tree` names a kind."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            inside = module.startswith("surveys.kinds.") or (
                node.level and module.startswith("kinds.")
            )
            if inside:
                yield node.lineno, f"imports a kind's module {module}"
            for alias in node.names:
                if alias.name in CLASSES:
                    yield node.lineno, f"imports the kind {alias.name}"
        elif isinstance(node, ast.Attribute):
            if node.attr in CHOICE_NAMES and getattr(node.value, "attr", "") == "KindChoices":
                yield node.lineno, f"names KindChoices.{node.attr}"
            if node.attr in CLASSES:
                yield node.lineno, f"names the kind {node.attr}"
        elif isinstance(node, ast.Name) and node.id in CLASSES:
            yield node.lineno, f"names the kind {node.id}"
        elif isinstance(node, ast.keyword) and node.arg and node.arg.startswith("kind"):
            if isinstance(node.value, ast.Constant) and node.value.value in KEYS:
                yield node.lineno, f"passes the kind {node.value.value!r}"
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                is_kind = isinstance(key, ast.Constant) and key.value == "kind"
                if is_kind and isinstance(value, ast.Constant) and value.value in KEYS:
                    yield node.lineno, f"maps kind to {value.value!r}"
        elif isinstance(node, ast.Compare):
            constants = [
                n.value for n in (node.left, *node.comparators) if isinstance(n, ast.Constant)
            ]
            about_kind = any("kind" in ast.unparse(n) for n in (node.left, *node.comparators))
            if about_kind and set(constants) & KEYS:
                yield node.lineno, "compares a kind with a kind's key"


def test_nothing_outside_the_kinds_package_names_a_kind():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _sources(".py")
        for line, what in _naming(ast.parse(path.read_text(), str(path)))
    ]
    for path in _sources(".html"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "kind" in line and any(f'"{key}"' in line or f"'{key}'" in line for key in KEYS):
                found.append(f"{path.relative_to(ROOT)}:{number}: compares a kind in a template")
    assert found == [], "ask question.kind_def instead:\n" + "\n".join(found)


def test_the_rule_sees_each_way_of_naming_a_kind():
    samples = {
        "from surveys.kinds.matrix import points": "imports a kind's module",
        "from .kinds.upload import accept": "imports a kind's module",
        "from surveys.kinds import Ranking": "imports the kind Ranking",
        "isinstance(kind, Scale)": "names the kind Scale",
        "x = Question.KindChoices.MATRIX": "names KindChoices.MATRIX",
        "add_question(survey=s, kind='file')": "passes the kind 'file'",
        "details = {'kind': 'nps'}": "maps kind to 'nps'",
        "if question.kind == 'ranking': pass": "compares a kind",
    }
    for source, expected in samples.items():
        found = [what for _, what in _naming(ast.parse(source))]
        assert any(what.startswith(expected) for what in found), (source, found)
    harmless = "stores = 'number'\nfield = 'file'\nif kind_def.files: pass"
    assert list(_naming(ast.parse(harmless))) == []


# A kind that is not in Canvass, written as a new engineer would by architecture.md.
YES_NO = '''\
    """Yes or no: stored as 1 or 0 in the answer's number column."""

    from django import forms

    from ..summaries import Summary, bars
    from .base import Kind, tampered


    class YesNo(Kind):
        key, label = "yes_no", "Yes or no"
        grouped = True
        template = "surveys/public/kinds/yes_no.html"
        # Optional in the survey of every kind, whose tests answer the required ones.
        sample_question = {"required": False}

        def form_field(self, question, **common):
            choices = [("1", "Yes"), ("0", "No")]
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)

        def clean(self, question, raw):
            if str(raw) not in ("0", "1"):
                raise tampered("Answer yes or no.")
            return int(raw)

        def summarize(self, question, answered, *, chosen, distribution):
            counts = {int(value): n for value, n in distribution}
            pairs = [("Yes", counts.get(1, 0)), ("No", counts.get(0, 0))]
            return Summary(bars(pairs, answered))

        def demo_answer(self, rng, options):
            return rng.choice(("0", "1"))
'''

YES_NO_TEMPLATE = """\
<fieldset class="question">
  <legend>{% include "surveys/public/kinds/_title.html" %}</legend>
  {% include "surveys/public/kinds/_notes.html" %}
  {% for choice in field %}{{ choice.tag }} {{ choice.choice_label }}{% endfor %}
</fieldset>
"""

JOURNEY = """\
    from django.urls import reverse

    from surveys import services
    from tests.helpers import answer_url, form_fields


    def test_a_yes_no_question_from_builder_to_export(client, alice, alice_client, alice_api):
        survey = services.create_survey(owner=alice, title="Lunch")
        question = services.add_question(survey=survey, prompt="Pizza again?", kind="yes_no")
        services.start_survey(survey=survey)
        page = client.get(answer_url(survey))
        assert b"Pizza again?" in page.content
        data = {"token": page.context["form"].initial["token"], **form_fields(question, 1)}
        assert client.post(answer_url(survey), data).status_code == 302
        public = alice_api.get(f"/api/v1/public/surveys/{survey.public_token}/").json()
        assert public["questions"][0]["kind"] == "yes_no"
        results = alice_client.get(reverse("surveys:results", args=[survey.pk]))
        bars = results.context["results"].questions[0].bars
        assert [(bar.label, bar.count) for bar in bars] == [("Yes", 1), ("No", 0)]
        export = alice_client.get(reverse("surveys:export_csv", args=[survey.pk]))
        rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
        assert rows[0].endswith("Pizza again?") and rows[1].endswith(",1")
"""


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """This working tree, as git knows it, in a folder of its own."""
    folder = tmp_path_factory.mktemp("new-kind") / "canvass"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    identity = ["-c", "user.name=Canvass", "-c", "user.email=canvass@example.invalid"]
    subprocess.run(["git", *identity, "commit", "-qm", "as it is"], cwd=folder, check=True)
    return folder


def _run(folder, *command):
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3"}
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)


def test_a_new_kind_needs_its_module_a_line_in_kinds_its_template_and_a_migration(checkout):
    (checkout / "surveys/kinds/yes_no.py").write_text(textwrap.dedent(YES_NO))
    kinds = checkout / "surveys/kinds/__init__.py"
    source = kinds.read_text()
    source = source.replace(
        "from .upload import FileUpload\n",
        "from .upload import FileUpload\nfrom .yes_no import YesNo\n",
    )
    source = source.replace("        FileUpload(),\n", "        FileUpload(),\n        YesNo(),\n")
    kinds.write_text(source)
    (checkout / "surveys/templates/surveys/public/kinds/yes_no.html").write_text(YES_NO_TEMPLATE)
    made = _run(checkout, sys.executable, "manage.py", "makemigrations", "surveys", "-n", "yes_no")
    assert made.returncode == 0, made.stdout + made.stderr
    changed = _run(checkout, "git", "status", "--porcelain").stdout.splitlines()
    touched = sorted(line[3:] for line in changed)
    (migration,) = (checkout / "surveys/migrations").glob("*_yes_no.py")
    assert touched == [
        "surveys/kinds/__init__.py",
        "surveys/kinds/yes_no.py",
        f"surveys/migrations/{migration.name}",
        "surveys/templates/surveys/public/kinds/yes_no.html",
    ]
    # The kind works end to end, and every rule that covers all kinds (the naming rule,
    # the query budgets of the survey with every kind, the fuzzer's forms) takes it in.
    (checkout / "tests/test_yes_no.py").write_text(textwrap.dedent(JOURNEY))
    tests = _run(
        checkout, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/test_yes_no.py", "tests/rules/test_query_counts.py",
        "tests/rules/test_kinds_in_one_module.py::test_nothing_outside_the_kinds_package_names_a_kind",
        "tests/kinds",
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
