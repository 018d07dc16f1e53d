"""Teacher-side computations of graded quantities: dashboards import them, lessons never do, and the student branch does not ship them."""
