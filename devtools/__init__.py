"""Development tools: the local sample services, the synthetic stream and the Pulse replay (never production)."""
