"""``python -m journal.cli``."""

from . import main

main(prog_name="journal")
