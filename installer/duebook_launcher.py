"""Entry script of the bundled app: the ``duebook`` command line; without a command, the window."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
