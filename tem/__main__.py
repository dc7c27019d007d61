"""``python -m tem`` runs the command line."""

from tem.cli import main

main()
