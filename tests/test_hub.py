"""The course on a shared server: `make hub` with real local accounts, and a whole nbgrader round
through the real pages in headless Chromium.

An instructor and two students (accounts made for the test, removed after it) log in with their
passwords. The instructor generates and releases the fixture assignment from the formgrader;
each student fetches it in JupyterLab's Assignments tab, answers (saved through their server's
contents API, as JupyterLab saves) and submits; the second student submits after the due date
the instructor set in the formgrader. The instructor collects, autogrades (with the course's
grading guards), grades the written answer by hand, generates and releases feedback; the
student fetches it. Then students try what they must not do, and each attempt must be refused.

The tests run in order and share one hub. Screenshots go to tests/artifacts/hub/ (ignored by
git); their paths are printed (pytest -s shows them).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from pathlib import Path

import course_tools as ct
import pytest
from hub import CHROMIUM, SKIP_REASON, TestHub

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON)]

ARTIFACTS = ct.ROOT / "tests" / "artifacts" / "hub"
WRITTEN = "Zero numbers summed is 0 and their count is 0: 0/0 has no value."
HAND_SCORE = 1.5  # of the written answer's 2 points
AUTO_POINTS = 1 + 2 + 3  # squares, mean, clip: the toy's autograded tests
# The late student's right answers, one of which writes to stderr while its test runs: the
# course's grading guards (course/nbgrader_config.py) keep that test's points where plain
# nbgrader scores it 0, so the gradebook shows whether the formgrader graded with them.
LATE_ANSWERS = {
    **ct.TOY_ANSWERS,
    "squares": (
        "import sys\n\n\ndef squares(n):\n"
        "    print('computing', n, 'squares', file=sys.stderr)\n"
        "    return [i * i for i in range(n)]"
    ),
}
TIMEOUT = 90_000  # ms: a loaded 2-core machine spawns servers slowly


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    course = ct.copy_fixture_course(tmp_path_factory.mktemp("hub-course"))
    server = TestHub(course, tmp_path_factory.mktemp("hub-log") / "hub.log")
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.copy(server.log, ARTIFACTS / "hub.log")


@pytest.fixture(scope="module")
def browser(hub):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ct.CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def pages(hub, browser):
    """One logged-in tab per account, each in its own browser context (its own cookies)."""
    opened = {}

    def page_of(name: str):
        if name not in opened:
            opened[name] = _login(browser, hub, name)
        return opened[name]

    yield page_of
    for page in opened.values():
        page.context.close()


def _login(browser, hub, name):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", hub.passwords[name])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=TIMEOUT)
    expect(page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_be_visible(
        timeout=TIMEOUT
    )
    return page


def _shot(page, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def _formgrader(page, hub) -> None:
    page.goto(f"{hub.url}/user/{hub.instructor}/formgrader/manage_assignments")
    page.locator("tr", has=page.get_by_role("link", name="toy", exact=True)).wait_for()


def _click_and_confirm(page, cell: str, what: str) -> None:
    """Click the toy row's button in column `cell` of a formgrader table; wait for the success
    dialog (fail with the dialog's text on an error) and close it."""
    row = page.locator("tr", has=page.get_by_role("link", name="toy", exact=True)).first
    row.locator(f"td.{cell} a").click()
    dialog = page.locator("#success-modal, #error-modal")
    dialog.wait_for(state="visible", timeout=TIMEOUT)
    text = dialog.inner_text()
    assert dialog.get_attribute("id") == "success-modal", f"{what} failed:\n{text}"
    dialog.locator("button.btn-primary.close").click()
    dialog.wait_for(state="detached")


def _assignment_list(page) -> None:
    """Open Nbgrader > Assignment List (the Assignments tab) in the student's JupyterLab."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    page.locator("#released_assignments_list").wait_for()


def _api(page, hub, name: str, method: str, path: str, data=None):
    """A request to `name`'s own Jupyter server, with the page's cookies (as JupyterLab sends)."""
    url = f"{hub.url}/user/{name}/api/{path}"
    # The hub and the user's server each set an _xsrf cookie; the server checks its own.
    xsrf = [c["value"] for c in page.context.cookies(url) if c["name"] == "_xsrf"]
    xsrf = [
        c["value"]
        for c in page.context.cookies()
        if c["name"] == "_xsrf" and c["path"].startswith(f"/user/{name}")
    ] or xsrf
    headers = {"X-XSRFToken": xsrf[0] if xsrf else ""}
    return page.request.fetch(url, method=method, headers=headers, data=data)


def _answer(page, hub, name: str, answers: dict[str, str]) -> None:
    """Fill the fetched notebook's answer cells and save it through the contents API."""
    path = "contents/toy/toy.ipynb"
    got = _api(page, hub, name, "GET", f"{path}?content=1")
    assert got.ok, got.text()
    model = got.json()
    for cell in model["content"]["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    saved = _api(
        page,
        hub,
        name,
        "PUT",
        path,
        data=json.dumps({"type": "notebook", "format": "json", "content": model["content"]}),
    )
    assert saved.ok, saved.text()


def _fetch_and_submit(page, hub, name: str, answers: dict[str, str]) -> None:
    from playwright.sync_api import expect

    _assignment_list(page)
    released = page.locator("#released_assignments_list")
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    expect(fetched.get_by_role("button", name="Submit")).to_be_visible()
    _answer(page, hub, name, answers)
    fetched.get_by_role("button", name="Submit").click()
    submitted = page.locator("#submitted_assignments_list")
    expect(submitted.get_by_text("toy")).to_be_visible()


ROUND: dict[str, object] = {}


def test_the_instructor_releases_the_assignment_from_the_formgrader(hub, pages):
    page = pages(hub.instructor)
    _formgrader(page, hub)
    # No warning that the exchange is missing (and Release and Collect switched off).
    assert page.get_by_text(re.compile("exchange directory", re.I)).count() == 0
    _click_and_confirm(page, "assign", "generate")
    _click_and_confirm(page, "release", "release")
    row = page.locator("tr", has=page.get_by_role("link", name="toy", exact=True)).first
    assert row.locator("td.status").inner_text().strip() == "released"
    _shot(page, "1-formgrader-released")
    released = hub.exchange / "outbound" / "toy" / "toy.ipynb"
    assert released.exists()
    assert "### BEGIN SOLUTION" not in released.read_text()


def test_a_student_fetches_answers_and_submits_in_the_assignments_tab(hub, pages):
    student = hub.students[0]
    page = pages(student)
    _fetch_and_submit(page, hub, student, {**ct.TOY_ANSWERS, "explain": WRITTEN})
    _shot(page, "2-student-submitted")
    ROUND["on_time"] = dt.datetime.now(dt.UTC)


def test_a_submission_after_the_due_date_set_in_the_formgrader_is_late(hub, pages):
    instructor = pages(hub.instructor)
    _formgrader(instructor, hub)
    time.sleep(1.1)  # the due date falls strictly between the two submissions
    due = dt.datetime.now(dt.UTC).replace(microsecond=0)
    row = instructor.locator("tr", has=instructor.get_by_role("link", name="toy", exact=True))
    row.first.locator("td.edit a").click()
    modal = instructor.locator("#edit-assignment-modal")
    modal.locator("input.modal-duedate").fill(due.strftime("%Y-%m-%dT%H:%M:%S"))
    modal.locator("input.modal-timezone").fill("UTC")
    modal.locator("button.save").click()
    modal.wait_for(state="detached")
    ROUND["due"] = due
    time.sleep(1.1)
    late = hub.students[1]
    page = pages(late)
    _fetch_and_submit(page, hub, late, LATE_ANSWERS)
    _shot(page, "3-late-student-submitted")


def test_the_instructor_collects_autogrades_and_grades_by_hand(hub, pages):
    from playwright.sync_api import expect

    page = pages(hub.instructor)
    _formgrader(page, hub)
    _click_and_confirm(page, "collect", "collect")
    page.reload()
    row = page.locator("tr", has=page.get_by_role("link", name="toy", exact=True)).first
    expect(row.locator("td.num-submissions")).to_have_text("2")
    page.goto(f"{hub.url}/user/{hub.instructor}/formgrader/manage_submissions/toy")
    for student in hub.students:
        line = page.locator("tr", has=page.locator("td.student-id", has_text=student))
        line.locator("td.autograde a").click()
        dialog = page.locator("#success-modal, #error-modal")
        dialog.wait_for(state="visible", timeout=180_000)
        assert dialog.get_attribute("id") == "success-modal", dialog.inner_text()
        dialog.locator("button.btn-primary.close").click()
        dialog.wait_for(state="detached")
    _shot(page, "4-formgrader-autograded")
    # The written answer, by hand, in the formgrader's grading page.
    grades = ct.grades(hub.course_folder, "toy", hub.students[0])
    assert {g: grades[g].score for g in ("test_squares", "test_mean", "test_clip")} == {
        "test_squares": 1,
        "test_mean": 2,
        "test_clip": 3,
    }
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course_folder / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook("toy", "toy", hub.students[0]).id
    page.get_by_role("link", name="Manual Grading").click()
    page.get_by_role("link", name="toy").first.click()
    page.get_by_role("link", name="toy").last.click()
    page.locator(f'a[href$="/formgrader/submissions/{submission}"]').first.click()
    # The page fills its fields from the gradebook after it loads: typing earlier is overwritten,
    # and the blank field then saves as 0. Type once it has settled, and wait for the very value.
    page.wait_for_load_state("networkidle")
    score = page.locator("input.score#explain")
    expect(score).to_be_editable()
    deadline = time.monotonic() + 30
    while ct.grades(hub.course_folder, "toy", hub.students[0])["explain"].score != HAND_SCORE:
        assert time.monotonic() < deadline, "the hand grade did not reach the gradebook"
        if score.input_value() != str(HAND_SCORE):
            score.fill(str(HAND_SCORE))
            score.press("Tab")  # the formgrader saves a score when the field loses focus
        time.sleep(0.5)
    _shot(page, "5-formgrader-hand-graded")


def test_the_instructor_generates_and_releases_feedback(hub, pages):
    page = pages(hub.instructor)
    _formgrader(page, hub)
    _click_and_confirm(page, "generate-feedback", "generate feedback")
    _click_and_confirm(page, "release-feedback", "release feedback")
    _shot(page, "6-formgrader-feedback-released")


def test_the_student_fetches_the_feedback(hub, pages):
    from playwright.sync_api import expect

    student = hub.students[0]
    page = pages(student)
    page.reload()
    _assignment_list(page)
    submitted = page.locator("#submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").first.click()
    expect(submitted.get_by_text("view feedback").first).to_be_visible()
    _shot(page, "7-student-feedback-fetched")
    feedback = sorted((hub.home(student) / "toy" / "feedback").glob("*/toy.html"))
    assert len(feedback) == 1, feedback
    html = feedback[0].read_text()
    total = AUTO_POINTS + HAND_SCORE
    assert f"Score: {total:g} / {AUTO_POINTS + 2:g}" in html.replace(".0 ", " ")
    ROUND["feedback"] = feedback[0]


def test_the_gradebook_holds_the_scores_and_the_late_submission(hub):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course_folder / 'gradebook.db'}") as gradebook:
        on_time = gradebook.find_submission("toy", hub.students[0])
        late = gradebook.find_submission("toy", hub.students[1])
        result = {
            "on_time": (on_time.score, on_time.max_score, on_time.total_seconds_late),
            "late": (late.score, late.max_score, late.total_seconds_late),
        }
    print("gradebook:", result)
    assert result["on_time"] == (AUTO_POINTS + HAND_SCORE, AUTO_POINTS + 2, 0)
    # All autograded points, its stderr warning included (the guards); the written answer is
    # left ungraded (0).
    assert result["late"][:2] == (AUTO_POINTS, AUTO_POINTS + 2)
    assert result["late"][2] > 0


def test_a_student_cannot_reach_another_students_work_or_the_instructors(hub, pages):
    ana, ben = hub.students
    instructor_course = hub.course_folder
    inbound = hub.exchange / "inbound"
    bens = [p for p in inbound.iterdir() if p.name.startswith(f"{ben}+toy+")]
    attempts = {
        "list the exchange's inbound folder": ["ls", str(hub.exchange / "inbound")],
        "list another student's home": ["ls", str(hub.home(ben))],
        "read another student's notebook": ["cat", str(hub.home(ben) / "toy" / "toy.ipynb")],
        "list the instructor's course": ["ls", str(instructor_course)],
        "read the source notebook": ["cat", str(instructor_course / "source/toy/toy.ipynb")],
        "read the gradebook": ["cat", str(instructor_course / "gradebook.db")],
        "read the collected submissions": ["ls", str(instructor_course / "submitted")],
        "list the feedback folder": ["ls", str(hub.exchange / "feedback")],
    }
    outcomes = {}
    for what, command in attempts.items():
        result = hub.run_as(ana, *command)
        outcomes[what] = (result.returncode, result.stderr.strip())
        print(f"{ana} tries to {what}: {result.stderr.strip() or 'ALLOWED'}")
    refused = {w: o for w, o in outcomes.items() if "Permission denied" in o[1]}
    assert refused.keys() == outcomes.keys(), outcomes
    # The formgrader: a student's server has none, and the instructor's is not theirs to open.
    page = pages(ana)
    own = page.request.get(f"{hub.url}/user/{ana}/formgrader")
    other = page.request.get(
        f"{hub.url}/user/{hub.instructor}/formgrader", max_redirects=0, fail_on_status_code=False
    )
    print(f"{ana} opens /user/{ana}/formgrader: HTTP {own.status}")
    print(f"{ana} opens /user/{hub.instructor}/formgrader: HTTP {other.status}")
    assert own.status == 404
    assert other.status in (302, 403, 404)
    if other.status == 302:  # sent to the hub, which refuses
        refused_page = page.request.get(f"{hub.url}/user/{hub.instructor}/formgrader")
        print(f"  ... and the hub answers: HTTP {refused_page.status}")
        assert refused_page.status == 403, refused_page.status
    # nbgrader's model: inbound/ cannot be listed, and each submission's folder name ends in a
    # random part, so another student cannot learn where it is.
    assert len(bens) == 1
    random_part = bens[0].name.rsplit("+", 1)[1]
    print(f"{ben}'s submission folder ends in a random part of {len(random_part)} characters")
    assert len(random_part) >= 12  # letters and digits: 62**12 names


def test_everything_the_hub_started_stops_and_the_accounts_go(hub):
    killed = hub.stop()
    assert killed == [], f"processes left running after the hub stopped: {killed}"
    for name in hub.users:
        assert not Path(f"/home/{name}").exists()
    assert not hub.root.exists()
