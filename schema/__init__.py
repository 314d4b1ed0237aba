"""The GraphQL layer: Strawberry types, queries and loaders per domain, mirroring `apps/`.

`schema.schema` joins the domains; `schema.graphql` beside it is the committed SDL. Imports run
queries -> types -> loaders -> apps selectors. Documented in docs/api.md (subscriptions: docs/live.md).
"""
