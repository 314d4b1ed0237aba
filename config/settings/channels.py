"""Channel layer: channels-redis on REDIS_URL, or the in-memory layer in embedded mode."""

from config.env import CONFIG, RESILIENCE

# Every layer call fails in bounded time when Redis accepts connections but never answers (a hung
# server, a half-open connection through a dead proxy): without a socket timeout, a group_send,
# group_add or receive waited forever and the outage handling (apps/core/outage.py CHANNEL_LAYER)
# never started. The socket timeout is longer than channels-redis's BZPOPMIN block (5 s, what an
# idle receive waits in Redis before it asks again; config/env.py checks), so idle receives return
# normally; with no retry configured in redis-py, a timed-out command raises at once and the hub
# and the relay count it as an outage. (The old `socket_timeout: None` came from channels_redis#422,
# a socket timeout shorter than the block, which broke idle receives.)
REDIS_SOCKET_TIMEOUT = RESILIENCE.redis_socket_timeout  # the cache uses them too (cache.py)
REDIS_CONNECT_TIMEOUT = RESILIENCE.redis_connect_timeout

if CONFIG.redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A large pool keeps bursts of connections from failing.
                "hosts": [
                    {
                        "address": CONFIG.redis_url,
                        "socket_timeout": REDIS_SOCKET_TIMEOUT,
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                        "max_connections": 1000,
                    }
                ],
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
