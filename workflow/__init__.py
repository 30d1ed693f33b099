"""The engine: the one API the CLI, the scheduler and embedding applications use.

Applications import its public names from the package root: `from cee_workflow import Engine`.
"""
