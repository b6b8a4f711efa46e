"""gcl.integrations."""
