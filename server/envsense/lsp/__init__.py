"""Protocol glue: one module per LSP area, each exposing `register(server)`.

Feature logic lives in envsense.core; these modules translate between LSP messages
and core records, and own nothing but per-connection state.
"""
