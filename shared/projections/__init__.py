"""Read models a service keeps of another service's aggregates, built from their events."""
