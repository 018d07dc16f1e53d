"""The course hub: JupyterHub on one server, one system user per learner (``servicecourse hub``).

``config`` turns the hub's settings into JupyterHub's configuration (hub/jupyterhub_config.py
only calls it), ``spawner`` runs each learner's server as that learner inside a cgroup with
memory and CPU limits (``limits``), ``service`` prepares the server's folders and permissions
and runs JupyterHub until SIGTERM, leaving no process behind.
"""
