"""nbgrader configuration for this course.

Sources (reference notebooks with solutions and hidden tests) live in ``solutions/``;
the student release nbgrader generates from them lives in ``assignments/``. Every
``nbgrader`` command works in the repository root as in any nbgrader course, and
``autograder`` (this repository's instructor CLI) reads this same file.
"""

c = get_config()  # noqa: F821 (nbgrader defines get_config when it loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# Every gradebook row belongs to a course. nbgrader's default id is empty, which SQLite lets
# pass but a PostgreSQL gradebook refuses (it enforces the rows' link to a course).
c.CourseDirectory.course_id = "mlsys"

# The hidden-test modules beside each source notebook must reach the autograder
# (nbgrader copies source files into every autograded submission) but never the
# student release: this hook deletes them from the release right after it is written.
c.GenerateAssignment.post_convert_hook = "autograder.release.remove_hidden_tests"

# Test cells that scale-check an O(n) algorithm need a few seconds; give slow
# machines room. A student's runaway cell is still interrupted.
c.Execute.timeout = 60

# Kernels log a warning about plain-TCP transport at every start; it is noise on a
# grading machine's loopback. The history file stays in memory, as nbgrader's default.
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
