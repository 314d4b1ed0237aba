"""The GraphQL layer: Strawberry types, queries and loaders per domain, mirroring `apps/`.

`schema.schema` joins the domains; `schema.graphql` beside it is the committed SDL.
"""
