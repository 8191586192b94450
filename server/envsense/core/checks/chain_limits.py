"""How far an import chain is followed: the project's own modules to the end, installed
code this many modules deep (a module of its own so that the import scanner, which orders
its reads the way chains will follow them, needs none of the chain machinery)."""

MAX_DEPTH = 3
