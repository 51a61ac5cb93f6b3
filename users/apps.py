from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self):
        from QuickCare import caching, checks  # noqa: F401 - system checks; the directory cache's edit hooks
