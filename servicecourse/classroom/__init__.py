"""What runs live in a class: Voila dashboards (server, kernel pool, kernel extension,
templates) and the learner's own JupyterLab (`servicecourse learn`)."""
