"""RabbitMQ: the topology, publishing with confirms, and idempotent consumption."""
