from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from appointments.models import IdempotencyKey


class Command(BaseCommand):
    help = "Forget Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS (a replay after that acts anew anyway)."

    def handle(self, *args, **options):
        since = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=since).delete()
        self.stdout.write(f"Forgot {deleted} idempotency key(s).")
