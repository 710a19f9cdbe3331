"""nbgrader configuration for the hpclearn course (run nbgrader from this folder)."""

import math
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.converters import Autograde
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import Execute, OverwriteCells
from traitlets import Float, Integer

c = get_config()  # noqa: F821 -- nbgrader injects get_config

HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "hpclearn"
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store"]

# Every notebook runs in under two minutes here; a cell that runs past this is a bug or an
# infinite loop in a submission. The kernel is interrupted, that cell fails with a
# CellTimeoutError (a test cell scores 0), and the rest of the notebook runs and is graded.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# A student who deletes a graded cell gets it back (with a note saying so), and it is graded.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Released notebooks carry no trace of the instructor's run: outputs go, and so do the timings
# Jupyter records for every executed cell.
c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution"}

# Collecting: `make collect A=<id> FROM=<download> [PLATFORM=folder|canvas|moodle]` runs
# `python -m hpcterm.collect`, which keeps the raw download in downloaded/<id>/raw/<time>/ and runs
# `nbgrader zip_collect` on it with its own collector plugin (hpcterm.collect.PlatformCollector):
# the presets, the student found through the roster, a timestamp.txt for every hand-in. The
# pattern below serves a plain `nbgrader zip_collect <id>` only: FROM/alice/<id>.ipynb or
# FROM/bob.zip copied to downloaded/<id>/archive, the student id being the folder's name.
c.FileNameCollectorPlugin.named_regexp = (
    r".*[/\\]extracted[/\\](?P<student_id>[A-Za-z0-9][A-Za-z0-9._@+-]*)[/\\]"
    r"(?!.*\.ipynb_checkpoints)(?:.*[/\\])?(?P<file_id>[^/\\]+\.ipynb)$"
)


class LatePerStartedDay(LateSubmissionPlugin):
    """The late policy: a hand-in after its due date (plus the student's extension, if any)
    loses `percent_per_day` % of its score for every started day (24 h) late, at most
    `max_percent` %. nbgrader applies it when it autogrades, from the hand-in's timestamp.txt, to
    the notebook's score at that moment: grade again after hand grading (a regrade keeps hand
    grades) for the penalty to cover the points given by hand."""

    percent_per_day = Float(10.0, help="Percent of the score lost per started day late.").tag(
        config=True
    )
    max_percent = Float(50.0, help="The most a late hand-in loses, in percent.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / 86400)
        return score * min(self.max_percent, self.percent_per_day * days) / 100


c.AssignLatePenalties.plugin_class = LatePerStartedDay


# Grading that holds against broken and hostile submissions. nbgrader 0.9.6 as shipped gives up
# on a whole submission (no autograded notebook, every cell left to grade by hand) when the
# kernel dies or ignores the timeout's interrupt, when a cell carries a grade_id the gradebook
# does not know, or when a deleted graded cell followed a cell that is not graded (a deleted
# written answer, say). It reads a number a test cell displays as partial credit (and gives up
# when the number exceeds the cell's points); it scores 0 a passing test cell that wrote to
# stderr (any warning); and it holds every byte a cell prints until the timeout stops it.
# The two classes below close those gaps; tests/test_hostile.py shows each case.


class GradingExecute(Execute):
    """nbgrader's Execute, made safe for grading submissions.

    - A test cell scores by its errors alone. What it writes to stderr (a warning from the
      student's code or from TensorFlow) is shown as output, not taken as a failure; a value it
      displays (say, from `sys.displayhook(2)` in the student's function) is shown, never read
      as a partial score.
    - A cell keeps at most `max_output_bytes` of output; the rest is dropped as it arrives, so
      `while True: print(...)` cannot fill the grader's memory before the timeout stops it.
    - A kernel that dies, or that still runs after the timeout's interrupt, ends the run but not
      the submission: that cell and every later code cell get an error (their tests score 0);
      the cells before keep their scores.
    """

    max_output_bytes = Integer(
        1_000_000, help="Output bytes kept per cell; later output is dropped."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = ""
        self._output_bytes = {}
        return super().preprocess(nb, resources, km=km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._stopped:
            cell.outputs = [_error("GradingStopped", f"not run: {self._stopped}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as error:
            if isinstance(error, DeadKernelError):
                self._stopped = "the kernel died in an earlier cell"
            else:
                self._stopped = "an earlier cell ran on after the timeout and was stopped"
            cell.outputs.append(_error(type(error).__name__, str(error).splitlines()[0]))
            self.shutdown_kernel = "immediate"
            return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        if msg["msg_type"] not in ("stream", "display_data", "execute_result"):
            return super().output(outs, msg, display_id, cell_index)
        size = len(str(content.get("text", content.get("data", ""))))
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        room = self.max_output_bytes - used
        if size <= room:
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "stream" and room > 0:
            content["text"] = content["text"][:room]
            super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes:
            outs.append(new_output("stream", name="stdout", text=_TRUNCATED))
        return None

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        cell = kwargs["cell"]
        if utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.output_type = "display_data"
                    del output["execution_count"]
                elif output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"


class RestoreEveryGradedCell(OverwriteCells):
    """nbgrader's OverwriteCells, made safe for broken submissions.

    - A cell whose grade_id the gradebook does not know (renamed, or copied from another
      version of the notebook) becomes an ordinary cell instead of failing the submission.
    - A missing graded cell goes back after the nearest earlier cell of the source notebook
      that the submission still has, even when the cell just before it is missing too.
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if "nbgrader" in cell.metadata and "grade_id" not in cell.metadata.nbgrader:
            del cell.metadata["nbgrader"]
        return cell, resources

    def add_missing_grade_cells(self, nb, resources):
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source.source_cells]
        solutions = {cell.name for cell in source.solution_cells}
        for graded in sorted(source.grade_cells, key=lambda cell: order.index(cell.name)):
            where = {_grade_id(cell): i for i, cell in enumerate(nb.cells) if _grade_id(cell)}
            present = {
                _grade_id(cell)
                for cell in nb.cells
                if utils.is_grade(cell) or utils.is_solution(cell)
            }
            if graded.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", graded.name)
            position = order.index(graded.name)
            earlier = [where[name] for name in order[:position] if name in where]
            restored = self.missing_cell_transform(
                source.source_cells[position],
                graded.max_score,
                is_solution=graded.name in solutions,
            )
            nb.cells.insert(max(earlier) + 1 if earlier else 0, restored)
        return nb, resources


_TRUNCATED = "\n[output truncated: the grader keeps the first part of a cell's output]\n"


def _error(name, message):
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _replace(trait, old, new):
    return [new if p is old else p for p in Autograde.class_traits()[trait].default()]


c.Autograde.sanitize_preprocessors = _replace(
    "sanitize_preprocessors", OverwriteCells, RestoreEveryGradedCell
)
c.Autograde.autograde_preprocessors = _replace("autograde_preprocessors", Execute, GradingExecute)
