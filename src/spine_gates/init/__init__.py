"""`gates init`: a minimal spine the user edits, or what an existing spine lacks, never overwriting.

`templates.py` names the files and how each is treated, `plan.py` decides per file (create, merge,
keep, unchanged, conflict), `merge.py` adds entries to files the user already has, and `apply.py`
writes the plan all or nothing.
"""
