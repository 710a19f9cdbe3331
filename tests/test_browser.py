"""JupyterLab and nbgrader's formgrader in a real browser.

`make lab` serves a copy of the course (its notebooks, plus the fixture assignment released and
one submission autograded) on 127.0.0.1 with a token; headless Chromium, driven by Playwright,
opens a course notebook and the formgrader and grades the written answer by hand. Chromium is
Debian's package (CI installs it); where there is none, as on most students' laptops, the tests
skip. Screenshots are saved under pytest's temporary folder and their paths printed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import course_tools as ct
import nbformat
import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.slow

CHROMIUM, CHROMIUM_FLAGS = ct.CHROMIUM, ct.CHROMIUM_FLAGS
# A fresh profile (user_data_dir) keeps every run alike.
COURSE_NOTEBOOK = ct.assignments()[0]
# A loaded CI machine renders slowly: wait up to 60 s for what a test expects to see.
expect.set_options(timeout=60_000)

if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's chromium package (`apt-get install "
        "chromium`, as .ci/run does) or set CHROMIUM to a Chromium binary",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course's sources and config, plus the fixture assignment graded for one student."""
    root = ct.copy_course(tmp_path_factory.mktemp("course"))
    shutil.copytree(ct.FIXTURE / "source" / "toy", root / "source" / "toy")
    ct.nbgrader(root, "generate_assignment", "toy", "--force")
    released = root / "release" / "toy" / "toy.ipynb"
    answer = ct.fill(released, {**ct.TOY_ANSWERS, "explain": "Zero by zero is undefined."})
    (root / "submitted" / "alice" / "toy").mkdir(parents=True)
    nbformat.write(answer, root / "submitted" / "alice" / "toy" / "toy.ipynb")
    ct.nbgrader(root, "autograde", "toy", "--force")
    return root


@contextlib.contextmanager
def served(target: str, course: Path, home: Path, folder: Path, **variables):
    """`make TARGET` serving JupyterLab on a free port with a token; stopped after, with every
    process working in `folder` (its kernels)."""
    port, token = ct.free_port(), secrets.token_hex(16)
    arguments = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
    arguments += f"--IdentityProvider.token={token}"
    if os.geteuid() == 0:  # CI runs as root
        arguments += " --allow-root"
    environment = {
        **ct.environment(),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(
        ct.make_command(target, course=course, LAB_ARGS=arguments, **variables),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,  # its own process group, so teardown stops make and jupyter
    )
    url = f"http://127.0.0.1:{port}"
    try:
        ct.wait_for_jupyter(server, url, token, home / "lab.log", timeout=90)
        yield {"url": url, "token": token}
    finally:
        ct.stop_server(server, folder)
        log.close()


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    """`make lab` on the course, on a free port with a token; stopped, kernels and all, after."""
    with served("lab", course, tmp_path_factory.mktemp("jupyter"), course) as server:
        yield server


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """`make student` on a course holding one course notebook: its workspace, served."""
    course = tmp_path_factory.mktemp("student-course")
    shutil.copy(ct.COURSE / "nbgrader_config.py", course)
    shutil.copytree(ct.COURSE / "source" / COURSE_NOTEBOOK, course / "source" / COURSE_NOTEBOOK)
    workspace = tmp_path_factory.mktemp("student") / "workspace"
    home = tmp_path_factory.mktemp("student-jupyter")
    with served("student", course, home, workspace, WORKSPACE=workspace) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh profile; closed after the tests."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, request, tmp_path_factory):
    """A new tab; its screenshot is saved (and its path printed) when the test ends."""
    tab = browser.new_page()
    yield tab
    shot = tmp_path_factory.getbasetemp() / "screenshots" / f"{request.node.name}.png"
    shot.parent.mkdir(exist_ok=True)
    tab.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    tab.close()


def open_in_lab(page, lab, path: str):
    """Open the notebook at `path` (relative to the course) in a fresh JupyterLab workspace;
    return its panel once a cell shows."""
    page.goto(f"{lab['url']}/lab/tree/{path}?reset&token={lab['token']}")
    panel = page.locator(".jp-NotebookPanel", has=page.locator(".jp-Cell")).last
    panel.wait_for()
    return panel


def test_a_course_notebook_renders_in_jupyterlab(lab, page):
    path = f"source/{COURSE_NOTEBOOK}/{COURSE_NOTEBOOK}.ipynb"
    title = nbformat.read(ct.COURSE / path, 4).cells[0].source.splitlines()[0].lstrip("# ")
    panel = open_in_lab(page, lab, path)
    expect(panel.get_by_role("heading", level=1).first).to_have_accessible_name(title.strip())
    # JupyterLab renders a long notebook's cells progressively: wait for the second one.
    expect(panel.locator(".jp-Cell").nth(1)).to_be_attached()


def test_the_notebook_toolbar_offers_nbgraders_validate_button(lab, page):
    panel = open_in_lab(page, lab, "release/toy/toy.ipynb")
    expect(panel.locator(".jp-Toolbar").get_by_text("Validate", exact=True)).to_have_count(1)


def test_the_formgrader_lists_the_assignment_and_its_submission(lab, page):
    page.goto(f"{lab['url']}/formgrader?token={lab['token']}")
    page.get_by_role("heading", name="Manage Assignments").wait_for()
    row = page.locator("tr", has=page.get_by_role("link", name="toy", exact=True))
    row.wait_for()
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[0] == "toy" and "1" in cells  # one submission


def test_a_score_typed_in_the_formgrader_reaches_the_gradebook(lab, course, page):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook("toy", "toy", "alice").id
    page.goto(f"{lab['url']}/formgrader?token={lab['token']}")
    page.get_by_role("link", name="Manual Grading").click()
    page.get_by_role("link", name="toy").first.click()
    page.get_by_role("link", name="toy").last.click()
    page.locator(f'a[href$="/formgrader/submissions/{submission}"]').first.click()
    # The page fills in its fields from the gradebook once loaded (autograded points as hints).
    expect(page.locator("input.score#test_clip")).to_have_attribute("placeholder", "3")
    score = page.locator("input.score#explain")
    score.fill("1.5")
    score.press("Tab")  # the formgrader saves a score when the field loses focus
    deadline = time.monotonic() + 15
    while True:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            grade = gradebook.find_grade("explain", "toy", "toy", "alice")
            saved = (grade.manual_score, grade.needs_manual_grade)
        if saved[0] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert saved == (1.5, False)


def test_a_student_sees_a_course_notebook_with_validate_and_no_instructor_tool(
    student_lab, lab, page, browser
):
    path = f"{COURSE_NOTEBOOK}/{COURSE_NOTEBOOK}.ipynb"
    title = nbformat.read(ct.COURSE / "source" / path, 4).cells[0].source.splitlines()[0]
    panel = open_in_lab(page, student_lab, path)
    expect(panel.get_by_role("heading", level=1).first).to_have_accessible_name(title.lstrip("# "))
    expect(panel.locator(".jp-Toolbar").get_by_text("Validate", exact=True)).to_have_count(1)
    # The instructor's lab has the "Create Assignment" sidebar and the Formgrader menu item ...
    instructor = browser.new_page()
    open_in_lab(instructor, lab, "release/toy/toy.ipynb")
    expect(instructor.locator(CREATE_ASSIGNMENT)).to_have_count(1)
    assert "Formgrader" in nbgrader_menu(instructor)
    print("the instructor's Nbgrader menu:", nbgrader_menu(instructor))
    instructor.close()
    # ... the student's has neither, no news pop-up, and no formgrader behind the URL either.
    expect(page.locator(CREATE_ASSIGNMENT)).to_have_count(0)
    assert nbgrader_menu(page) == []  # no exchange here: no menu of tools to fetch and submit
    expect(page.get_by_text("official Jupyter news")).to_have_count(0)
    missing = page.request.get(f"{student_lab['url']}/formgrader?token={student_lab['token']}")
    assert missing.status == 404


# The tab JupyterLab shows for nbgrader's "Create Assignment" sidebar (its widget id, sic).
CREATE_ASSIGNMENT = '[data-id="nbgrader-create_assignemnt"]'


def nbgrader_menu(page) -> list[str]:
    """The items of the Nbgrader menu in the menu bar (none when the menu is absent)."""
    menu = page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")
    if menu.count() == 0:
        return []
    menu.click()
    items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    return items
