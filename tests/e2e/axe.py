"""Run axe-core in a Playwright page and report the serious and critical violations.

axe-core comes from the PyPI package ``axe-playwright-python``, which ships ``axe.min.js``;
nothing is fetched at run time. The script is injected with ``page.evaluate`` (DevTools
protocol), so the page's strict CSP neither blocks it nor logs a violation for it.
"""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict]:
    """The axe violations of the page as it is now, limited to the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict]) -> str:
    """One block per violation: rule, impact, help link, then each element and why."""
    lines = []
    for violation in violations:
        lines.append(
            f"* {violation['id']} ({violation['impact']}): {violation['help']}"
            f"\n  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            lines.append(f"  - {' '.join(map(str, node['target']))}")
            lines.append(f"    {node['html'][:300]}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"    {line}" for line in summary.splitlines())
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Fail with a readable list when axe finds serious or critical violations."""
    violations = axe_violations(page)
    assert not violations, (
        f"axe-core found {len(violations)} serious/critical violation(s) on {where} "
        f"({page.url}):\n{describe(violations)}"
    )
