"""Long-running network servers that are not Django views: `server.ws` serves GraphQL over WebSocket."""
