"""mppctl's commands, one module per resource group; ``mppctl.main`` assembles them.

``context``, ``errors`` and ``options`` are what every group shares: the client a command
talks through, the mapping of failures to exit codes, and the options and their parsing.
"""
