"""Channel layer: channels-redis on REDIS_URL, or the in-memory layer in embedded mode."""

from config.env import CONFIG

if CONFIG.redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # socket_timeout None keeps idle subscriber sockets open (channels_redis#422); a
                # large pool keeps bursts of connections from failing.
                "hosts": [{"address": CONFIG.redis_url, "socket_timeout": None, "max_connections": 1000}],
                "prefix": "th-layer",
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }
else:
    # Embedded mode: one process, so the in-memory layer carries relay -> hub messages.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000, "expiry": 60}}
    }
