"""Under CI=true a skipped test fails the run: a missing service must never pass silently.

A plugin of its own (no Django imports), so tests/test_ci_rules.py can load it into a
separate pytest run.
"""

import os

import pytest


def _under_ci():
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failure: a missing service must never pass silently."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _under_ci():
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped while it is imported (importorskip, a skip at
    module level)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _under_ci():
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"
