"""`python -m envsense` is the same as the `envsense` console script."""

from envsense.cli import main

raise SystemExit(main())
