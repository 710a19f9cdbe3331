"""nbgrader configuration for the hpclearn course (run nbgrader from this folder)."""

from pathlib import Path

c = get_config()  # noqa: F821 -- nbgrader injects get_config

HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "hpclearn"
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store"]

# Every notebook runs in under two minutes here; a cell that runs past this is a bug or an
# infinite loop in a submission, and is stopped so grading goes on.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# A student who deletes a graded test cell gets it back, and it is graded.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
