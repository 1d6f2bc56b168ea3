"""Twilio and SMTP senders against a Twilio emulator and a real SMTP server, both on 127.0.0.1."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest

from actions.context import MessageOutcomeUnknown, MessageRefused
from connector.config import Settings, SmtpSettings, TwilioSettings
from connector.notifications.messaging import ConfiguredMessenger, SmtpEmail, TwilioSms
from tests.emulators.smtp import SmtpServer, _free_port
from tests.emulators.twilio import TwilioEmulator

TO = "+15125550142"


@pytest.fixture
def twilio():  # type: ignore[no-untyped-def]
    with TwilioEmulator() as emulator:
        yield emulator


def sms(emulator: TwilioEmulator, **changes: object) -> TwilioSms:
    fields = {"account_sid": emulator.account_sid, "auth_token": emulator.auth_token, "from_number": "+15125550100",
              "api_url": emulator.url, "timeout_seconds": 5.0, **changes}
    return TwilioSms(TwilioSettings.model_validate(fields))


def test_an_sms_is_one_form_encoded_post_with_basic_auth(twilio: TwilioEmulator) -> None:
    receipt = sms(twilio).send(TO, "Marcus is on the way.")
    assert receipt.provider == "twilio" and receipt.status == "queued"
    assert receipt.message_id == twilio.messages[0].sid and receipt.message_id.startswith("SM")
    [seen] = twilio.requests_to(f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json", "POST")
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"
    expected = base64.b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
    assert seen.headers["Authorization"] == f"Basic {expected}"
    assert parse_qs(seen.body.decode()) == {"To": [TO], "From": ["+15125550100"], "Body": ["Marcus is on the way."]}


def test_a_messaging_service_replaces_the_from_number(twilio: TwilioEmulator) -> None:
    receipt = sms(twilio, from_number="", messaging_service_sid="MG" + "a" * 32).send(TO, "Hi")
    assert receipt.status == "accepted"
    form = parse_qs(twilio.requests_to("/2010-04-01/")[0].body.decode())
    assert "From" not in form and form["MessagingServiceSid"] == ["MG" + "a" * 32]


def test_twilio_errors_are_refusals_with_twilios_code(twilio: TwilioEmulator) -> None:
    with pytest.raises(MessageRefused) as caught:
        sms(twilio).send("512-555", "Hi")
    assert not caught.value.retryable and not caught.value.opted_out
    assert caught.value.message == "Twilio error 21211: The 'To' number 512-555 is not a valid phone number."
    twilio.opted_out.add(TO)
    with pytest.raises(MessageRefused) as caught:
        sms(twilio).send(TO, "Hi")
    assert caught.value.opted_out
    with pytest.raises(MessageRefused) as caught:
        sms(twilio, auth_token="wrong").send("+15125550199", "Hi")
    assert caught.value.retryable and "credentials" in caught.value.message
    assert twilio.messages == []


def test_a_429_is_retried_after_retry_after_and_a_lasting_one_is_a_retryable_refusal(twilio: TwilioEmulator) -> None:
    twilio.throttle_next(1, retry_after=0)
    assert sms(twilio).send(TO, "Hi").message_id
    assert len(twilio.messages) == 1 and len(twilio.requests_to("/2010-04-01/")) == 2
    twilio.throttle_next(5, retry_after=60)  # longer than a notification may wait
    with pytest.raises(MessageRefused) as caught:
        sms(twilio).send(TO, "Hi again")
    assert caught.value.retryable and caught.value.retry_after == 60
    assert len(twilio.messages) == 1


def test_a_5xx_or_a_timeout_is_never_retried(twilio: TwilioEmulator) -> None:
    twilio.fail_next("/2010-04-01/", 500)
    with pytest.raises(MessageOutcomeUnknown):
        sms(twilio).send(TO, "Hi")
    assert len(twilio.requests_to("/2010-04-01/")) == 1
    # The emulator takes the message, then answers too late: it went out, and it is not sent twice.
    twilio.delay_next("/2010-04-01/", 1.0)
    with pytest.raises(MessageOutcomeUnknown):
        sms(twilio, timeout_seconds=0.2).send(TO, "Hi")
    assert len(twilio.requests_to("/2010-04-01/")) == 2 and len(twilio.messages) == 1


def test_an_unreachable_twilio_is_a_retryable_refusal() -> None:
    settings = TwilioSettings(account_sid="AC1", auth_token="t", from_number="+15125550100",
                              api_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(MessageRefused) as caught:
        TwilioSms(settings).send(TO, "Hi")
    assert caught.value.retryable


# --- SMTP -------------------------------------------------------------------------------------------

def smtp_settings(server: SmtpServer, **changes: object) -> SmtpSettings:
    fields = {"host": "127.0.0.1", "port": server.port, "from": "office@acme-heating.example", "starttls": False,
              "timeout_seconds": 5.0, **changes}
    return SmtpSettings.model_validate(fields)


def test_an_email_is_delivered_with_subject_and_message_id() -> None:
    with SmtpServer(username="office", password="s3cret") as server:
        receipt = SmtpEmail(smtp_settings(server, username="office", password="s3cret")).send(
            "dana@example.com", "Your visit on Tue Nov 24", "Hi Dana,\n\nSee you at 9:00 AM.")
    [message] = server.messages
    assert server.logins == ["office"]
    assert server.envelopes == [("office@acme-heating.example", ["dana@example.com"])]
    assert message["Subject"] == "Your visit on Tue Nov 24" and message["To"] == "dana@example.com"
    assert message["Message-ID"] == receipt.message_id and receipt.message_id.endswith("@acme-heating.example>")
    assert message.get_content().replace("\r\n", "\n").strip() == "Hi Dana,\n\nSee you at 9:00 AM."
    assert (receipt.provider, receipt.status) == ("smtp", "accepted")


def test_smtp_refusals_and_unknown_outcomes() -> None:
    with SmtpServer() as server:
        email = SmtpEmail(smtp_settings(server))
        server.refuse.add("nobody@example.com")
        with pytest.raises(MessageRefused) as caught:
            email.send("nobody@example.com", "S", "B")
        assert not caught.value.retryable
        server.data_answer = "451 4.3.0 Try again later"
        with pytest.raises(MessageRefused) as caught:
            email.send("dana@example.com", "S", "B")
        assert caught.value.retryable
        with pytest.raises(MessageRefused) as caught:  # asked for STARTTLS, which this server lacks
            SmtpEmail(smtp_settings(server, starttls=True)).send("dana@example.com", "S", "B")
        assert caught.value.retryable
        server.data_delay = 1.0  # the server has the DATA but answers after the client gave up
        with pytest.raises(MessageOutcomeUnknown):
            SmtpEmail(smtp_settings(server, timeout_seconds=0.2)).send("dana@example.com", "S", "B")
        server.data_delay = 0
    with pytest.raises(MessageRefused) as caught:
        SmtpEmail(smtp_settings(server)).send("dana@example.com", "S", "B")  # server stopped
    assert caught.value.retryable


def test_the_messenger_sends_only_on_configured_channels() -> None:
    messenger = ConfiguredMessenger(Settings(env="test"))
    assert not messenger.can_send("sms") and not messenger.can_send("email")
    settings = Settings(env="test", twilio={"account_sid": "AC1", "auth_token": "t", "from_number": "+1512"},
                        smtp={"host": "mail.example.com", "from": "a@example.com"})
    messenger = ConfiguredMessenger(settings)
    assert messenger.can_send("sms") and messenger.can_send("email") and not messenger.can_send("fax")
