"""The transactional outbox: a change, its audit entry, its event and its deliveries at once."""
