"""In a real browser: the coding workbench in JupyterLab and Notebook 7, and the main job's
report.

Debian's Chromium, driven by Playwright (``tests/browser.py``), opens a JupyterLab (then a
Notebook 7) server on localhost with a temporary notebook that builds a project from the
bundled (illustrative) corpus, auto-codes it and opens a workbench; the test selects a phrase
with the mouse, applies a code and checks the coding in the project file, with the offsets of
the phrase; it changes the coding's code in the side panel; then it reviews a suggestion with
the keyboard. A screenshot of the widget is saved under the test's tmp path
(``UPPKS_QUAL_SCREENSHOT=docs/workbench.png`` also writes it there: that is how the README's
picture is made). The report test opens ``report.html`` written by ``uppks-qual reproduce``
and checks it renders with no console error, every image loaded and its tables present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser
import pytest

from uppks_qual import Project

ROOT = Path(__file__).resolve().parents[1]
DOC = "asoka-int-chair"
PHRASE = "Jadi saya datangi satu-satu rumahnya, sore-sore sesudah asar"
CODE = "leadership"
SUB_CODE = "leadership.motivation"
CODER = "rina"
SCREENSHOT_ENV = "UPPKS_QUAL_SCREENSHOT"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    reason = browser.reason_to_skip()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def context(playwright: Any, tmp_path: Path) -> Iterator[Any]:
    ctx = browser.launch(playwright, tmp_path / "profile")
    yield ctx
    ctx.close()


def console_errors(page: Any) -> list[str]:
    """Console errors and uncaught exceptions of ``page``, collected as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def wait_for_rows(read: Any, what: str, timeout: float = 60.0) -> Any:
    """Poll ``read()`` (a frame) until it has rows (the project file is written by the
    kernel, another process)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if len(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def drag_select(page: Any, phrase: str) -> None:
    """Select ``phrase`` in the workbench with the mouse, starting inside its first word and
    ending inside its last (the workbench widens the selection to whole words)."""
    box = page.evaluate("""(phrase) => {
        const text = document.querySelector('.uqw-text');
        const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(phrase);
            if (at < 0) continue;
            node.parentElement.scrollIntoView({block: 'center'});
            const rect = (a, b) => { const r = document.createRange();
                r.setStart(node, a); r.setEnd(node, b); return r.getBoundingClientRect(); };
            const first = rect(at + 2, at + 3), last = rect(at + phrase.length - 3,
                                                            at + phrase.length - 2);
            return {x0: first.left + 1, y0: first.top + first.height / 2,
                    x1: last.right - 1, y1: last.top + last.height / 2};
        }
        return null;
    }""", phrase)
    assert box is not None, f"{phrase!r} is not shown in one piece of the workbench"
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    page.mouse.move((box["x0"] + box["x1"]) / 2, (box["y0"] + box["y1"]) / 2, steps=5)
    page.mouse.move(box["x1"], box["y1"], steps=5)
    page.mouse.up()


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_code_a_phrase_in_the_workbench(context: Any, tmp_path: Path, app: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = work / "team.uqp"
    browser.write_notebook(work / "code.ipynb", [
        "import uppks_qual as uq\n"
        f"project = uq.Project.create({str(path)!r},\n"
        f"    corpus=uq.load_corpus({str(ROOT / 'data/interviews')!r}),\n"
        f"    codebook=uq.load_codebook({str(ROOT / 'codebook.yaml')!r}))\n"
        "project.autocode(progress=False)",
        f"wb = project.workbench({DOC!r}, coder={CODER!r})\nwb",
    ])
    with browser.JupyterServer(work, app=app) as server:
        page = context.new_page()
        errors = console_errors(page)
        page.goto(server.notebook_url("code.ipynb"))
        browser.run_all_cells(page, server)
        page.wait_for_selector(".uqw-text .uqw-piece", timeout=180_000)
        assert page.locator(".uqw-docs").input_value() == DOC
        assert page.locator(".uqw-coder").input_value() == CODER

        drag_select(page, PHRASE)
        quote = page.locator(".uqw-selection .uqw-quote")
        quote.wait_for(timeout=30_000)
        assert quote.inner_text() == PHRASE        # snapped to whole words
        page.locator(".uqw-valence").select_option("positive")
        page.locator(f".uqw-code[data-code='{CODE}']").click()
        page.wait_for_selector(".uqw-message.uqw-info", timeout=30_000)
        assert page.locator(".uqw-message").inner_text().startswith("coded #")

        reader = Project.open(path)
        try:
            text = reader.document(DOC).text
            start = text.index(PHRASE)
            mine = wait_for_rows(lambda: reader.codings(coder=CODER),
                                 "the coding in the project")
        finally:
            reader.close()
        assert len(mine) == 1
        row = mine.iloc[0]
        assert (row["doc_id"], row["start"], row["end"], row["code_id"]) == \
            (DOC, start, start + len(PHRASE), CODE)
        assert (row["origin"], row["valence"], row["text"]) == ("manual", "positive", PHRASE)

        # the new coding is drawn: click it to see it in the side panel
        mark = page.locator(f".uqw-mark[data-start='{start}']").first
        mark.click()
        page.wait_for_selector(".uqw-panel .uqw-coding", timeout=30_000)
        assert CODER in page.locator(".uqw-panel").inner_text()
        counts = page.locator(f".uqw-count[data-factor='{CODE}'] .uqw-count-n").inner_text()
        assert int(counts) >= 1
        shot = tmp_path / "workbench.png"
        page.locator(".uqw").screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get(SCREENSHOT_ENV) and app == "lab":
            shutil.copyfile(shot, os.environ[SCREENSHOT_ENV])

        # the panel changes the coding's code (and keeps its valence and offsets)
        coding = page.locator(f".uqw-panel .uqw-coding[data-coding='{row['coding_id']}']")
        coding.locator(".uqw-panel-code").select_option(SUB_CODE)
        coding.locator(".uqw-save").click()
        page.locator(".uqw-message.uqw-info", has_text="changed #").wait_for(timeout=30_000)
        reader = Project.open(path)
        try:
            changed = reader.codings(coder=CODER).set_index("coding_id").loc[row["coding_id"]]
        finally:
            reader.close()
        assert (changed["code_id"], changed["valence"], changed["start"], changed["end"]) == \
            (SUB_CODE, "positive", start, start + len(PHRASE))

        # errors are shown in the widget: one the browser catches (a code clicked with
        # nothing selected) and one the project refuses (the automatic coder's name)
        page.locator(f".uqw-code[data-code='{CODE}']").click()
        page.locator(".uqw-message.uqw-error", has_text="select some text").wait_for(
            timeout=30_000)
        page.locator(".uqw-new-coder").fill("auto")
        page.locator(".uqw-new-coder").press("Enter")
        page.locator(".uqw-message.uqw-error", has_text="automatic coder").wait_for(
            timeout=30_000)
        assert page.locator(".uqw-coder").input_value() == CODER

        # suggestions mode, with the keyboard: reject the first suggestion shown
        page.locator(".uqw-mode").click()
        first = page.locator(".uqw-suggest .uqw-quote")
        first.wait_for(timeout=30_000)
        page.locator(".uqw-meta").click()          # focus inside the widget, not an input
        page.keyboard.press("r")
        page.locator(".uqw-message.uqw-info", has_text="rejected #").wait_for(timeout=30_000)
        reader = Project.open(path)
        try:
            reviews = wait_for_rows(reader.reviews, "the review in the project")
            manual = reader.codings(origin="manual")
        finally:
            reader.close()
        assert list(reviews["decision"]) == ["rejected"]
        assert list(reviews["coder"]) == [CODER]
        assert list(manual["coding_id"]) == [row["coding_id"]]    # the errors wrote nothing
        assert not [e for e in errors if "uqw" in e or "workbench" in e.lower()], errors


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reproduce") / "results"
    run = subprocess.run([sys.executable, "-m", "uppks_qual.cli", "reproduce", "--out",
                          str(out), "--project", str(out.parent / "study.uqp")],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return out / "report.html"


def test_report_renders_in_a_browser(context: Any, report: Path) -> None:
    page = context.new_page()
    errors = console_errors(page)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    images = page.evaluate("""() => [...document.images].map(i => ({
        src: i.getAttribute('src').slice(0, 80), ok: i.complete && i.naturalWidth > 0}))""")
    assert images, "the report shows no chart"
    assert [i["src"] for i in images if not i["ok"]] == []
    tables = page.locator("table")
    assert tables.count() >= 3
    assert page.locator("table tbody tr").count() > 10
    assert "illustrative" in page.locator("body").inner_text()
    assert errors == [] and failed == []
