"""The parts of `make bench`, one module per claim of the course (registered in `bench.suite`)."""
