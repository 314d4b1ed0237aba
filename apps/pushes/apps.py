from django.apps import AppConfig


class PushesConfig(AppConfig):
    name = "apps.pushes"
    label = "pushes"
