"""``python -m mppctl ...``: the same CLI as the installed ``mppctl`` command."""

from mppctl.main import run

if __name__ == "__main__":
    run()
