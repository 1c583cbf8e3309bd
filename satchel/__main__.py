"""`python -m satchel` runs the same command line as the `satchel` script."""

from satchel.cli import main

if __name__ == "__main__":
    main()
