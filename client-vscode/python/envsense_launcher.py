"""Start the envsense server from the extension's bundled libraries.

Run as `python -I envsense_launcher.py serve`: -I keeps the user's PYTHONPATH and user site out,
and the bundled pure-Python libraries go first on sys.path, so the server never imports the
packages of whichever interpreter runs it. Nothing here leaks into the environments the server
installs into: it changes sys.path, not os.environ.
"""

import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bundled", "libs")

if __name__ == "__main__":
    if not os.path.isdir(os.path.join(LIBS, "envsense")):
        sys.stderr.write(f"envsense: bundled server missing at {LIBS}; reinstall the extension\n")
        raise SystemExit(3)
    sys.path.insert(0, LIBS)
    from envsense.cli import main

    raise SystemExit(main(sys.argv[1:] or ["serve"]))
