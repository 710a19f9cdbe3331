"""The instructor's tools for a whole term of the course, around nbgrader's own mechanisms.

Each module is a command: `python -m hpcterm.<module> --help`. The Makefile's instructor targets
call them. Nothing here reaches students: `make publish` ships `hpclearn` alone.
"""
