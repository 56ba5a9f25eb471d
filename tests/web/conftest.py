"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against the live `server` fixture.

Never run `playwright install`: the browser is the system's /usr/bin/chromium (apt: chromium, plus chromium-l10n
so native controls such as date fields speak Chinese, and fonts-noto-cjk so Chinese does not render as boxes).
A missing browser skips these tests with the reason, except under CI=true, where it fails them
(the same policy as PostgreSQL in tests/conftest.py).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

CHROMIUM = os.environ.get("JOINTINSPECT_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync", "--lang=zh-CN"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the browser tests are required)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install playwright)")
    env = {**os.environ, "LANGUAGE": "zh_CN:zh", "LANG": "zh_CN.UTF-8"}  # native widgets in Chinese
    from playwright.sync_api import expect
    expect.set_options(timeout=10_000)  # as the contexts' default (below): a loaded CI machine is slower than 5 s
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, env=env)
        try:
            yield instance
        finally:
            instance.close()


class ConsoleWatch:
    """console.error messages of a page. A test that provokes an API refusal allows that HTTP status, which
    Chromium logs as 'Failed to load resource: … status of 422'."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.allowed: set[int] = set()
        self.allowed_texts: set[str] = set()

    def allow(self, *statuses: int) -> None:
        self.allowed.update(statuses)

    def allow_text(self, text: str) -> None:
        """Allow messages holding `text` (e.g. net::ERR_INTERNET_DISCONNECTED while a test cuts the network)."""
        self.allowed_texts.add(text)

    def problems(self) -> list[str]:
        return [m for m in self.messages if not any(f"status of {s} " in m for s in self.allowed)
                and not any(t in m for t in self.allowed_texts)]


@pytest.fixture
def page(browser: Any, server: Any) -> Iterator[Any]:
    """A fresh browser context (its own storage) on the live server; the test fails on any uncaught script error
    and on any console.error of its pages (issue 15), but for the HTTP statuses it allows (`console`)."""
    context = browser.new_context(base_url=server.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 860})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    watch = ConsoleWatch()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    context.on("console", lambda m: watch.messages.append(m.text) if m.type == "error" else None)
    tab.console_watch = watch
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"script errors in the page: {errors}"
    assert not watch.problems(), f"console errors on the page: {watch.problems()}"


@pytest.fixture
def console(page: Any) -> ConsoleWatch:
    """The page's console watch, to allow the HTTP statuses a test provokes on purpose."""
    return page.console_watch


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[[], Path]:
    """screenshot() saves the whole page as tests/web/screenshots/<test>-<backend>.png."""
    def take() -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take

