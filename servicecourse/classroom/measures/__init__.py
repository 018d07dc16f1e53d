"""Teacher-side computations of what graded cells ask for.

Dashboards import them; lessons never do, and the student branch does not ship them.
"""
