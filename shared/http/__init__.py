"""The HTTP app's common parts: problems, auth, request ids, paging, health, the app factory."""
