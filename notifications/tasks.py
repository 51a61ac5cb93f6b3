from django.tasks import task

from . import services


@task
def deliver_notification(notification_id: str) -> str:
    """Send one notification (services.deliver): safe to run twice, and after a lost run."""
    return services.deliver(notification_id)
