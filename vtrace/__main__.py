"""``python -m vtrace``."""

from vtrace.cli import main

main()
