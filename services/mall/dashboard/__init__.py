"""The programme's dashboard (``GET /dashboard``), served by the mall service.

``figures`` (what the page shows, and its settings) is what the mall's container holds;
``router`` (the page and its feed) reads that container, so it is imported on its own.
"""
