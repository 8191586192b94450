"""Pure logic: no pygls or lsprotocol import may ever appear below this package.

Data flows one way: workspace -> project -> environment -> inventory -> findings.
The LSP layer (envsense.lsp) and the CLI (envsense.cli) turn findings into
diagnostics, actions and text; nothing here knows about either.
"""
