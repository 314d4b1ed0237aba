"""Cache: Redis (shared by every process) or local memory in embedded mode."""

from config.env import CONFIG, RESILIENCE

if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "th",
            "TIMEOUT": 300,
            # A Redis that accepts connections but never answers must fail a cache call (the rate
            # limit fails closed, sessions fall back to the database), not hang its thread.
            "OPTIONS": {
                "socket_timeout": RESILIENCE.redis_socket_timeout,
                "socket_connect_timeout": RESILIENCE.redis_connect_timeout,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
