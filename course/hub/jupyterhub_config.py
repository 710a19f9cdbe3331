"""JupyterHub configuration for the course on one shared machine (`make hub`).

The hub runs as root from ROOT/venv (HPCLEARN_HUB_ROOT names ROOT; course/hub/setup.py builds
it and writes ROOT/hub.json). Users log in with their local account's password (PAM) and each
gets a JupyterLab server running as that account:
  - the instructor's opens on ~/hpclearn-course with the formgrader, whose config (the course's
    nbgrader_config.py with its grading guards) is on the server's JUPYTER_CONFIG_PATH;
  - a student's opens on their home with the Assignments tab (Nbgrader > Assignment List) and
    the Validate button, and neither the formgrader nor "Create Assignment".
Both read ROOT/etc/common/nbgrader_config.py: the course id and the exchange folder.
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 -- JupyterHub injects get_config

ROOT = Path(os.environ["HPCLEARN_HUB_ROOT"]).resolve()
SETTINGS = json.loads((ROOT / "hub.json").read_text())
INSTRUCTORS = set(SETTINGS["instructors"])
STUDENTS = set(SETTINGS["students"])
ETC = ROOT / "etc"

c.JupyterHub.ip = SETTINGS["ip"]
c.JupyterHub.port = SETTINGS["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = SETTINGS["hub_port"]
c.JupyterHub.db_url = f"sqlite:///{ROOT / 'state' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(ROOT / "state" / "jupyterhub_cookie_secret")
PROXY = ROOT / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{SETTINGS['api_port']}"
c.ConfigurableHTTPProxy.pid_file = str(ROOT / "state" / "proxy.pid")
# The proxy stops with the hub (the default leaves it running for the next start).
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.cleanup_servers = True

# Local accounts and their passwords; only the course's people may log in. On a learning
# platform one would use an LTI or OAuth authenticator instead (ltiauthenticator,
# oauthenticator): same spawner, same exchange, other logins.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS

# Each user's server is a process of their own account, run from ROOT/venv.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ROOT / "venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # nothing of root's PATH or virtualenv
# nbgrader runs `alembic` by name when it creates a gradebook: the venv leads PATH.
c.Spawner.environment = {"PATH": f"{ROOT / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 90


def pre_spawn_hook(spawner):
    """Give the instructor the course folder and the formgrader, students their home."""
    name = spawner.user.name
    if name in INSTRUCTORS:
        course = Path(os.path.expanduser(f"~{name}")) / SETTINGS["course_folder"]
        spawner.notebook_dir = str(course)
        path = [course, ETC / "instructor", ETC / "common"]
    else:
        spawner.notebook_dir = "~"
        path = [ETC / "student", ETC / "common"]
    # A new dict: the configured one is shared by every user's spawner.
    config_path = os.pathsep.join(map(str, path))
    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": config_path}


c.Spawner.pre_spawn_hook = pre_spawn_hook
