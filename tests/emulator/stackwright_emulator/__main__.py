"""Runs the emulator: moto's server with every extension of this package installed.

Usage is moto_server's: python -m stackwright_emulator -H 127.0.0.1 -p PORT
"""

import sys

from moto.server import main

from . import install_all

if __name__ == "__main__":
    install_all()
    sys.exit(main())
