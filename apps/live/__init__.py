"""Live events: the outbox (publish), the relay that numbers them, the per-process hub and the streams
subscriptions read, and retention. Documented in docs/live.md (decision: docs/decisions/0001-outbox-and-relay.md)."""
