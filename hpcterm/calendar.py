"""Due dates and extensions, in nbgrader's gradebook.

    python -m hpcterm.calendar due A 2027-02-01T23:59 [--tz Europe/Berlin] [--course DIR]
    python -m hpcterm.calendar extend A STUDENT (--hours H | --days D) [--course DIR]
    python -m hpcterm.calendar show [--course DIR]

`due` sets the assignment's due date (nbgrader's Assignment.duedate, kept in UTC; a time without a
zone is read in --tz, default UTC; `due A none` removes it). `extend` gives one student more time
on one assignment (nbgrader's Gradebook.grant_extension; 0 removes it; extensions replace each
other, they do not add up). The late policy itself is in course/nbgrader_config.py
(`LatePerStartedDay`): nbgrader applies it when it autogrades, from each hand-in's timestamp.txt,
so a due date or an extension changed after grading counts once the assignment (or that student)
is graded again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import warnings
from pathlib import Path

from nbgrader.api import MissingEntry
from sqlalchemy.exc import SAWarning

from hpcterm.course import CourseError, command, course_root, gradebook
from hpcterm.roster import enrolled


def parse_due(text: str, zone: str = "UTC") -> dt.datetime | None:
    """A due date as naive UTC (nbgrader's convention); "none" is no due date."""
    from dateutil import parser, tz

    if text.strip().lower() == "none":
        return None
    where = tz.gettz(zone)
    if where is None:
        raise CourseError(f"unknown time zone {zone!r}; use a name such as Europe/Berlin or UTC")
    try:
        moment = parser.isoparse(text)
    except ValueError as error:
        raise CourseError(f"{text!r} is not a date and time like 2027-02-01T23:59") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=where)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def set_due(root: Path, assignment: str, when: dt.datetime | None) -> None:
    """Set (or, with None, remove) `assignment`'s due date."""
    with gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(
                f"no assignment {assignment!r}: check the id, or release it first"
            ) from None
        gb.update_or_create_assignment(assignment, duedate=when)


def extend(root: Path, assignment: str, student: str, *, hours: float = 0, days: float = 0):
    """Give `student` an extension on `assignment` (0 removes it). The student must be on the
    roster (or in the gradebook, without a roster)."""
    people = enrolled(root)
    with gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"no assignment {assignment!r}: release it first") from None
        known = people if people is not None else {s.id for s in gb.students}
        if student not in known:
            raise CourseError(f"{student!r} is not on the roster")
        # An extension belongs to the student's submission: one is recorded now if the student
        # has not handed in yet (autograde fills it in later). nbgrader's add_submission warns
        # about its own session bookkeeping while it does so; the record is complete.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=SAWarning)
            gb.update_or_create_submission(assignment, student)
        gb.grant_extension(assignment, student, hours=hours, days=days)
        return gb.find_submission(assignment, student).extension


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.calendar",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or ./course)")
    commands = parser.add_subparsers(dest="command", required=True)
    due = commands.add_parser("due", parents=[where], help="set an assignment's due date")
    due.add_argument("assignment")
    due.add_argument("when", help="e.g. 2027-02-01T23:59, or none")
    due.add_argument("--tz", default="UTC", help="the zone of a time given without one")
    more = commands.add_parser("extend", parents=[where], help="extend one student's due date")
    more.add_argument("assignment")
    more.add_argument("student")
    more.add_argument("--hours", type=float, default=0)
    more.add_argument("--days", type=float, default=0)
    commands.add_parser("show", parents=[where], help="due dates and extensions")
    args = parser.parse_args(argv)
    root = course_root(args.course)
    if args.command == "due":
        when = parse_due(args.when, args.tz)
        set_due(root, args.assignment, when)
        print(f"{args.assignment}: due {when or 'never'}" + (" UTC" if when else ""))
    elif args.command == "extend":
        if args.hours < 0 or args.days < 0:
            raise CourseError("an extension is 0 or more hours/days")
        extension = extend(root, args.assignment, args.student, hours=args.hours, days=args.days)
        print(
            f"{args.assignment}: {args.student} has "
            + (f"an extension of {extension}" if extension else "no extension")
            + "; grade that student again if already graded"
        )
    else:
        with gradebook(root) as gb:
            for a in sorted(gb.assignments, key=lambda a: a.name):
                print(f"{a.name}\tdue {a.duedate or 'never'}" + (" UTC" if a.duedate else ""))
                for s in sorted(a.submissions, key=lambda s: s.student_id):
                    if s.extension:
                        print(f"  {s.student_id}\textension {s.extension} -> due {s.duedate} UTC")


if __name__ == "__main__":
    main()
