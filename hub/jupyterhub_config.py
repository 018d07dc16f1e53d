"""JupyterHub configuration of the course hub: `servicecourse hub` runs JupyterHub with it.

Everything is in servicecourse.hub.config (tested there); the settings come from the file
that `servicecourse hub` names in SERVICECOURSE_HUB_SETTINGS (`servicecourse hub --help`).
"""

from servicecourse.hub.config import configure

configure(get_config())  # noqa: F821 - provided by traitlets when it loads this file
