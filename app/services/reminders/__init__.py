"""Collections: dunning steps due, the reminder letters and the outbox."""
