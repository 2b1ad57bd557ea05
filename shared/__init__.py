"""What every MPP service stands on: events, messaging, outbox, storage, logging and HTTP."""
