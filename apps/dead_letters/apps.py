from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "apps.dead_letters"
    label = "ingestion"
