"""What runs live in a class: Voila dashboards and the learner's own JupyterLab.

- ``dashboards``: which dashboards the course has, with their titles and purposes;
- ``staging``: the folder Voila serves, from the template files in ``templates/``;
- ``widget_code``: plotly's widget code with the cartesian plotly.js, served statically;
- ``server``: Voila started, watched and stopped (``servicecourse dashboards``);
- ``pool``: Voila's kernel manager (class-sized preheated pools, culling, a cap);
- ``kernel``: the IPython extension of the dashboards' kernels;
- ``thumbnails``: the landing page's screenshots, via ``browser`` (the one Chromium launcher);
- ``learn``: ``servicecourse learn``, the student release in JupyterLab.
"""
