"""The instructor's side of the course: build the student release, grade, report, give feedback."""
