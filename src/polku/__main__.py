"""`python -m polku`: the same command line as the `polku` script, for when the script is not on PATH."""

from polku.cli import main

if __name__ == "__main__":  # not when a worker process of the analysis starts (spawn imports this module)
    main()
