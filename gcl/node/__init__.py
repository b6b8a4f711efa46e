"""Node-level graph contrastive learning: models, trainer, probes and experiments."""
