"""``python -m hepatica`` runs the command line."""

from hepatica.cli import main

main()
