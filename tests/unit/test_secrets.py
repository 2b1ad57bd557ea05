"""Secrets at rest (Fernet under MPP_SECRET_KEYS) and secrets kept out of log lines."""

from __future__ import annotations

import pytest
import structlog
from cryptography.fernet import Fernet

from shared import secrets
from shared.secrets import SecretBox, SecretUnreadable, redact, redact_secrets

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_secret_is_stored_encrypted_and_read_back() -> None:
    box = SecretBox([Fernet.generate_key()])
    stored = box.encrypt(SECRET)

    assert stored.startswith("fernet:")
    assert SECRET not in stored and SECRET.removeprefix("whsec_") not in stored
    assert box.decrypt(stored) == SECRET
    assert box.encrypt(SECRET) != stored  # a fresh IV every time


def test_keys_rotate_the_first_encrypts_every_one_decrypts() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    under_old = SecretBox([old_key]).encrypt(SECRET)
    rotating = SecretBox([new_key, old_key])

    assert rotating.decrypt(under_old) == SECRET
    assert not rotating.is_current(under_old)
    under_new = rotating.reencrypt(under_old)
    assert rotating.is_current(under_new)
    assert SecretBox([new_key]).decrypt(under_new) == SECRET
    with pytest.raises(SecretUnreadable):
        SecretBox([new_key]).decrypt(under_old)


def test_legacy_plain_text_is_read_as_it_is_and_encrypted_when_secured() -> None:
    box = SecretBox([Fernet.generate_key()])

    assert box.decrypt(SECRET) == SECRET
    assert not box.is_current(SECRET)
    assert box.decrypt(box.reencrypt(SECRET)) == SECRET


def test_keys_come_from_a_comma_separated_list_and_a_bad_one_is_named_not_shown() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    box = SecretBox.from_keys(f" {first} , {second} ")
    assert not box.ephemeral
    assert SecretBox([first]).decrypt(box.encrypt(SECRET)) == SECRET

    with pytest.raises(ValueError, match="key 2 of 2 is not a Fernet key") as refused:
        SecretBox.from_keys(f"{first},not-a-key-at-all")
    assert first not in str(refused.value) and "not-a-key-at-all" not in str(refused.value)


def test_without_keys_an_ephemeral_key_is_made_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with structlog.testing.capture_logs() as logs:
        # A logger made now, so an earlier test's cached one cannot bypass the capture.
        monkeypatch.setattr(secrets, "log", structlog.stdlib.get_logger("shared.secrets"))
        box = SecretBox.from_keys(None)

    assert box.ephemeral
    assert box.decrypt(box.encrypt(SECRET)) == SECRET
    [warning] = [line for line in logs if line["event"] == "secrets.ephemeral_key"]
    assert warning["log_level"] == "warning"
    assert "MPP_SECRET_KEYS" in warning["detail"]


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        (f"signing with {SECRET}", SECRET.removeprefix("whsec_")),
        ("POST https://alice:hunter2@hooks.example.go.id/x", "hunter2"),
        ("HTTP Request: POST http://bob@hooks.example.go.id/x", "bob@"),
        ("https://hooks.example.go.id/x?token=abc123&tenant=7", "abc123"),
        ("https://hooks.example.go.id/x?api_key=abc123", "abc123"),
        ("https://hooks.example.go.id/x?sig=abc123", "abc123"),
        ("Authorization: Bearer mpp-key-0123456789", "mpp-key-0123456789"),
        ("Authorization: Basic YWxpY2U6aHVudGVyMg==", "YWxpY2U6aHVudGVyMg"),
        ("stored fernet:gAAAAABpZ2hpamtsbW5vcHFyc3R1dnd4eXo", "gAAAAABpZ2hp"),
    ],
)
def test_secrets_in_log_text_are_redacted(text: str, leak: str) -> None:
    assert leak not in redact(text)
    assert "[redacted]" in redact(text) or ":***@" in redact(text)  # a URL keeps its user


def test_the_log_processor_redacts_sensitive_fields_and_text_everywhere() -> None:
    line = redact_secrets(
        None,
        "info",
        {
            "event": f"rotated to {SECRET}",
            "secret": "anything at all",
            "webhook_token": "t0k3n",
            "headers": {"authorization": "Bearer abc", "webhook-id": "msg_1"},
            "urls": ["https://u:p4ss@hooks.example.go.id/"],
            "grace_seconds": 0,
        },
    )

    assert SECRET not in str(line)
    assert line["secret"] == "[redacted]"
    assert line["webhook_token"] == "[redacted]"
    assert line["headers"] == {"authorization": "[redacted]", "webhook-id": "msg_1"}
    assert "p4ss" not in line["urls"][0]
    assert line["grace_seconds"] == 0
