"""mppctl: the operator CLI and the seed loader of the MPP platform (see ``mppctl.main``)."""

__version__ = "0.1.0"
