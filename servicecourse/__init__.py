"""Shared code of the service management course: data, figures, grading and build steps.

Notebooks import this package; the package never imports a notebook.
"""

__version__ = "0.1.0"
