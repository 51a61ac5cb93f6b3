from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): it stands on every domain app, so it belongs to none of them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
