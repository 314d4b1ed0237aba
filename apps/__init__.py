"""Django apps, one per domain. Dependencies point one way: schema -> apps, workers -> apps."""
