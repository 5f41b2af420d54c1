"""matplotlib for Tango's plotting scripts, without making it a build dependency.

ensure_matplotlib(script, name) returns when matplotlib imports; otherwise it makes a virtual environment
(default ~/.cache/tango/plot-venv, or $TANGO_PLOT_VENV), installs matplotlib into it with pip, and runs
`script` again from there with the same arguments. Exit code 3 (with a line naming `name`) when that fails.
"""

import os
import subprocess
import sys
import venv


def _fail(name, message):
    print(f"{name}: {message}", file=sys.stderr)
    sys.exit(3)


def ensure_matplotlib(script, name):
    try:
        import matplotlib  # noqa: F401

        return
    except ImportError:
        pass
    if os.environ.get("TANGO_PLOT_IN_VENV") == "1":
        _fail(name, "matplotlib is still missing inside the plot venv")
    venv_dir = os.environ.get("TANGO_PLOT_VENV") or os.path.expanduser("~/.cache/tango/plot-venv")
    python = os.path.join(venv_dir, "bin", "python3")
    if not os.path.exists(python):
        print(f"{name}: making a venv with matplotlib in {venv_dir}", file=sys.stderr)
        try:
            venv.create(venv_dir, with_pip=True, clear=True)
        except Exception as error:  # venv raises several kinds (ensurepip missing, permissions)
            _fail(name, f"cannot make a venv in {venv_dir} ({error}): install python3-venv or matplotlib")
    if subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode != 0:
        pip = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "matplotlib"],
            capture_output=True,
            text=True,
        )
        if pip.returncode != 0:
            tail = (pip.stderr or pip.stdout).strip().splitlines()[-1:] or ["no output"]
            _fail(name, f"pip could not install matplotlib into {venv_dir}: {tail[0]}")
    env = dict(os.environ, TANGO_PLOT_IN_VENV="1")
    os.execve(python, [python, os.path.abspath(script)] + sys.argv[1:], env)
