"""`python -m polku`: the same command line as the `polku` script, for when the script is not on PATH."""

from polku.cli import main

main()
