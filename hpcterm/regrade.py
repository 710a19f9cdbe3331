"""Regrade an assignment after fixing a test in its source, keeping hand grades.

    python -m hpcterm.regrade A [--student S]... [--jobs N] [--slurm] [--course DIR]

(1) `nbgrader generate_assignment A --force` brings the gradebook's copy of the source up to
date (test cells, checksums, points; nbgrader refuses to add or remove graded cells once there
are submissions, so fix a test in place); (2) every submission of A (or of the students named)
is graded again as `python -m hpcterm.grade A --force` does; (3) a hand grade stays confirmed
where the answer it grades did not change, and goes back to "needs manual grade" where it did.
Same output and exit status as hpcterm.grade.
"""

from __future__ import annotations

import sys

from hpcterm.course import CourseError, command, course_root
from hpcterm.grade import one_writer, parser, quiet_sessions, regenerate, run


def regrade(args) -> int:
    if len(args.assignments) != 1:
        raise CourseError("name one assignment: python -m hpcterm.regrade A [--student S]")
    root = course_root(args.course)
    with one_writer(root):
        regenerate(root, args.assignments[0])
    args.force = True
    return run(args)


@command
def main(argv=None) -> None:
    quiet_sessions()
    sys.exit(regrade(parser("python -m hpcterm.regrade").parse_args(argv)))


if __name__ == "__main__":
    main()
