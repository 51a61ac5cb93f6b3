"""`manage.py verify_access_log`: recompute every hash chain (contract 5.1). Exit status 0 when every chain is whole,
1 naming the first row that does not match."""

import sys

from django.core.management.base import BaseCommand

from appointments.models import AppointmentHistory
from clinic.models import PatientLookup
from documents.models import DocumentAccessLog
from QuickCare.chain import verify

CHAINED_LOGS = (DocumentAccessLog, PatientLookup, AppointmentHistory)


class Command(BaseCommand):
    help = "Verify the tamper-evident logs; exit 1 at the first row that does not match."

    def handle(self, *args, **options):
        for model in CHAINED_LOGS:
            checked, broken = verify(model)
            if broken:
                self.stderr.write(f"BROKEN: {broken}")
                sys.exit(1)
            self.stdout.write(f"{model._meta.label}: {checked} rows, every chain whole.")
        self.stdout.write("The logs are intact.")
