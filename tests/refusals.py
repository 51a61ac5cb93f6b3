"""Assertions for refusals: a refusal is its status and its whole body, the message a client shows the person."""


def assert_refused(response, status: int, body) -> None:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response.json() == body, response.json()


def assert_throttled(response) -> None:
    """A 429: its wait is in Retry-After and in the message (both follow the clock, so only their form is checked)."""
    assert response.status_code == 429, (response.status_code, response.content[:500])
    wait = int(response["Retry-After"])
    assert wait > 0 and response.json() == {"message": f"Request was throttled. Expected available in {wait} seconds."}
