"""``python -m journal.cli``."""

from . import main

main()
