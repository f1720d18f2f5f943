"""The shipped Kamailio configuration against an attacker: no open relay for forged requests
inside a dialog, a ban for password guessing and for floods.

Kamailio runs ``deploy/kamailio/kamailio.cfg`` with its shipped limits (see conftest.py);
the attackers are sipp or plain sockets on other loopback addresses than the registrar's own
(127.0.0.1 is "myself" for Kamailio and never banned).
"""

from __future__ import annotations

import socket
import time

import pytest

from provisioning.backends import get_backend
from tests.conftest import wait_for
from tests.provisioning.conftest import free_port

pytestmark = pytest.mark.kamailio

ANNA, ANNA_NUMBER, ANNA_PASSWORD = "anna.schmidt", "+4922818123410", "Anna-Sip-2026!"
BEN, BEN_NUMBER, BEN_PASSWORD = "ben.weber", "+4922818123411", "Ben-Sip-2026!x"
ATTACKER, NEIGHBOUR, FLOODER = "127.0.0.3", "127.0.0.4", "127.0.0.6"
# An office phone of its own: pike remembers each address's recent requests across tests (the
# fixture can flush the ban tables, not pike), so the attacker's tries just before would count.
OFFICE = "127.0.0.7"


@pytest.fixture
def backend(registrar):
    backend = get_backend()
    for username, number, password in [
        (ANNA, ANNA_NUMBER, ANNA_PASSWORD),
        (BEN, BEN_NUMBER, BEN_PASSWORD),
    ]:
        backend.ensure_subscriber(username=username, e164=number)
        backend.set_password(username=username, password=password)
    return backend


# --- no open relay -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        pytest.param("{registrar}", id="route-to-the-registrar"),
        pytest.param("{registrar};did=1.2", id="route-to-the-registrar-with-a-dialog-cookie"),
        pytest.param("{domain}", id="route-to-the-sip-domain"),
        pytest.param("{listener}", id="route-to-the-second-listener"),
    ],
)
def test_a_forged_in_dialog_invite_is_refused_and_never_reaches_another_host(
    registrar, sip, second_listener, route
):
    forged = sip.forged_invite(
        target=f"victim@{second_listener.address}",
        route=route.format(
            registrar=f"127.0.0.1:{registrar.sip_port}",
            domain=registrar.domain,
            listener=second_listener.address,
        ),
        source=ATTACKER,
    )

    assert forged.status == 403, forged
    assert forged.ok
    time.sleep(0.5)  # a relayed INVITE would be retransmitted meanwhile
    assert second_listener.received() == []


@pytest.mark.parametrize("callee_hangs_up", [False, True], ids=["caller-hangs-up", "callee"])
def test_a_call_between_two_registered_clients_gets_its_ack_and_bye_through(
    backend, sip, callee_hangs_up
):
    anna_port, ben_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    assert sip.register(ANNA, ANNA_PASSWORD, port=anna_port).ok
    assert sip.register(BEN, BEN_PASSWORD, port=ben_port).ok

    with sip.answer(anna_port, hang_up=callee_hangs_up) as phone:
        call = sip.call(
            ANNA_NUMBER,
            caller=BEN,
            password=BEN_PASSWORD,
            port=ben_port,
            hung_up=callee_hangs_up,
        )
        answered = phone.result()

    # Each scenario ends well only after the ACK reached the callee and the BYE (either way)
    # reached the other side and was answered with 200.
    assert call.ok, call
    assert answered.ok, answered
    assert [line.split()[0] for line in phone.received()] == ["INVITE", "ACK", "BYE"]


def test_a_party_of_a_call_cannot_aim_a_request_inside_it_at_another_host(
    backend, sip, second_listener
):
    anna_port = free_port(socket.SOCK_DGRAM)
    assert sip.register(ANNA, ANNA_PASSWORD, port=anna_port).ok

    with sip.answer(anna_port) as phone:
        call = sip.call(
            ANNA_NUMBER,
            caller=BEN,
            password=BEN_PASSWORD,
            reinvite_to=f"victim@{second_listener.address}",
        )
        answered = phone.result()

    assert call.ok, call  # the re-INVITE got 403, the BYE still went through
    assert answered.ok, answered
    assert [line.split()[0] for line in phone.received()] == ["INVITE", "ACK", "BYE"]
    time.sleep(0.5)
    assert second_listener.received() == []


# --- password guessing and floods ----------------------------------------------------------


def test_ten_failed_authentications_ban_the_address_and_no_other(backend, sip, registrar):
    for attempt in range(9):
        assert sip.register(ANNA, f"Guess-{attempt}", source=ATTACKER).status == 401

    assert sip.register(ANNA, "Guess-9", source=ATTACKER).status == 403
    assert registrar.banned() == {ATTACKER}
    # The right password no longer helps from there; from elsewhere it registers.
    assert sip.register(ANNA, ANNA_PASSWORD, source=ATTACKER).status == 403
    assert sip.register(ANNA, ANNA_PASSWORD, source=NEIGHBOUR).status == 200
    assert sip.register(BEN, BEN_PASSWORD, source=NEIGHBOUR).status == 200


def test_registering_without_credentials_first_as_every_phone_does_is_no_failure(
    backend, sip, registrar
):
    for _ in range(12):
        assert sip.register(ANNA, ANNA_PASSWORD, source=OFFICE).status == 200

    assert registrar.banned() == set()


def test_wrong_passwords_on_calls_count_towards_the_ban_too(backend, sip, registrar):
    for _ in range(10):
        assert sip.call(ANNA_NUMBER, caller=BEN, password="Not-Bens", source=ATTACKER).status in (
            407,
            403,
        )

    assert registrar.banned() == {ATTACKER}
    assert sip.register(BEN, BEN_PASSWORD, source=ATTACKER).status == 403


def test_a_request_flood_bans_the_address_and_no_other(backend, sip, registrar):
    options = (
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bK-flood-{n}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:flood@{host}>;tag=flood\r\n"
        "To: <sip:127.0.0.1>\r\nCall-ID: flood-{n}\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((FLOODER, 0))
        local = sock.getsockname()[1]
        for n in range(300):
            message = options.format(port=registrar.sip_port, host=FLOODER, local=local, n=n)
            sock.sendto(message.encode(), ("127.0.0.1", registrar.sip_port))

    wait_for(lambda: FLOODER in registrar.banned(), timeout=5, what="the flood's ban")
    assert sip.register(ANNA, ANNA_PASSWORD, source=FLOODER).status == 403
    assert sip.register(ANNA, ANNA_PASSWORD, source=NEIGHBOUR).status == 200
