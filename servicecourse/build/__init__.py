"""The instructor's publishing: book pages, the public site, its figures and bibliography, the
instructor edition and the student branch, each checked for leaked solutions.

- :mod:`.pages` runs each lesson with its solutions (cached) and strips it into a book page;
- :mod:`.student` gives THE student version of a lesson (nbgrader's release) to the book's
  download button and to the student branch the launch buttons open;
- :mod:`.assets` vendors the site's JavaScript (no CDN);
- :mod:`.book` runs Jupyter Book: the public site and the instructor edition;
- :mod:`.figures` and :mod:`.bibbackrefs` are Sphinx extensions; :mod:`.plotlyjs` knows the
  plotly.js bundles; :mod:`.leaks` finds solution and hidden-test lines in what is published.
"""

from ..paths import CourseError


class BookBuildError(CourseError):
    """The book cannot be built; the message names the notebook and cell at fault."""
