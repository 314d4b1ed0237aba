"""GraphQL over WebSocket: our own server for graphql-transport-ws and the legacy graphql-ws.

An ASGI application (`server.ws.app`) Daphne routes WebSocket scopes to. It executes operations with
the root schema and shares one execution per distinct subscription (`server.ws.sharing`).
Documented in docs/live.md; why our own: docs/decisions/0002-own-graphql-ws-server.md.
"""
