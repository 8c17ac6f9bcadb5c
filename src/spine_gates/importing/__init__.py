"""`gates import ccr`: a hand-written claude-code-router config becomes a governed spine.

`translate.py` turns the router config into registry entries, roles, `ccr:` settings and key
references (with the guesses a router config cannot answer), `defaults.py` holds those guesses,
`render.py` writes the files' text, and `write.py` plans and writes them with `gates init`'s
all-or-nothing writer.
"""
