"""nbgrader configuration every user's server reads on the course's JupyterHub.

course/hub/setup.py copies this file to ROOT/etc/common/, a folder the hub puts on every user's
JUPYTER_CONFIG_PATH; the exchange is the folder ROOT/exchange beside it. The instructor's server
also reads the course's own nbgrader_config.py (its grading guards) from the course folder.
"""

from pathlib import Path

c = get_config()  # noqa: F821 -- nbgrader injects get_config

# ROOT/etc/common/nbgrader_config.py -> ROOT
ROOT = Path(__file__).resolve().parents[2]

c.CourseDirectory.course_id = "hpclearn"
# Owned by root, mode 1777. Releasing makes exchange/hpclearn/ with outbound/ (readable by all),
# inbound/ (students may write there but not list it) and feedback/ (not listable either).
c.Exchange.root = str(ROOT / "exchange")
# Submission times and due dates are compared in UTC.
c.Exchange.timezone = "UTC"
# Validate runs a notebook as the grader will: the course's cell timeout, not nbgrader's 30 s
# (the instructor's server reads the course's own config, which says the same).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
