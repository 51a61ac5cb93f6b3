"""Contract fuzzing: schemathesis against the live OpenAPI schema of a real server, as each role in turn.

Run by `make fuzz` (and so by .ci/run); `make test` leaves it out (-m "not fuzz") because it takes minutes.
Every check (`--checks all`): no 5xx, every status and content type documented, every answer valid against the
schema, schema-valid requests accepted and schema-violating ones refused, authentication enforced, a deleted
resource gone. What no schema can state is written in schemathesis.toml, with the reason.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import GUNICORN, ROOT, live_env, manage, seed, serving

pytestmark = pytest.mark.fuzz

SEED = """
import json
from datetime import time
from clinic.tests.factories import make_clinic
from doctors.tests.factories import make_doctor, make_window
from documents.tests.factories import make_consent, make_document
from users.models import RoleId
from users.services import tokens_for
from users.tests.factories import make_user
owner = make_user(role=RoleId.CLINIC_OWNER, password=None, is_complete_onboarding=True)
clinic = make_clinic(owner=owner)
doctor = make_doctor(clinic=clinic)
make_window(doctor=doctor, start=time(9), end=time(13))
patient = make_user(role=RoleId.PATIENT, password=None)
make_consent(document=make_document(owner=patient), doctor=doctor)
print(json.dumps({role: tokens_for(user)["access"]
                  for role, user in (("patient", patient), ("doctor", doctor.user), ("owner", owner))}))
"""
CHECKS = "all"
EXAMPLES_PER_OPERATION = os.environ.get("FUZZ_EXAMPLES", "25")


def test_schemathesis_finds_no_server_errors_or_contract_violations(tmp_path):
    env = live_env(tmp_path, API_DOCS_PUBLIC="True")
    manage("migrate", "--noinput", env=env)
    tokens = seed(SEED, env)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    server_env = {**env, "WEB_CONCURRENCY": "3"}
    with serving(GUNICORN, server_env) as base:
        command = [
            str(schemathesis),
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "run",
            f"{base}/api/schema/",
            "--checks",
            CHECKS,
            "-n",
            EXAMPLES_PER_OPERATION,
            "--seed",
            "20261127",
            "--no-color",
            # A successful password change ends the role's token, and every operation after it would only see 401s.
            # Its contract is covered by users/tests/test_api_auth.py.
            "--exclude-path",
            "/api/users/password/change/",
        ]
        runs = {
            role: subprocess.Popen(
                [*command, "-H", f"Authorization: Bearer {token}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=tmp_path,
            )
            for role, token in tokens.items()
        }
        outputs = {role: run.communicate(timeout=600)[0] for role, run in runs.items()}
    for role, output in outputs.items():  # whole reports, for a failure longer than the message below
        (tmp_path / f"schemathesis-{role}.log").write_text(output)
    failed = {role: output[-6000:] for role, output in outputs.items() if runs[role].returncode != 0}
    assert not failed, "\n\n".join(f"=== as {role} ===\n{text}" for role, text in failed.items())
