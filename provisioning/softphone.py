"""A softphone's account as Linphone's remote provisioning document (``lpconfig`` XML).

The account authenticates with the digest ``ha1`` of its password, never the password
itself: liblinphone registers with ``ha1`` and ``realm`` alone. Every entry overwrites what
the client holds (``overwrite="true"``), ``auth_info`` names ``domain`` as well as ``realm``
(without it a client that fetches again finds two realms and fails), and
``transient_provisioning`` makes the client forget the provisioning link once it applied the
document, so it does not ask again at its next start (the link is for one use).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree

LPCONFIG_NAMESPACE = "http://www.linphone.org/xsds/lpconfig.xsd"
#: Seconds a registration lasts before the client renews it.
REGISTER_EXPIRES = 600


@dataclass(frozen=True)
class SoftphoneAccount:
    """What a client needs to register: where to (``proxy``, a SIP URI), as whom, and the
    digest ``ha1`` for ``realm``. ``ha1`` is a credential: never log or show it."""

    proxy: str
    username: str
    domain: str
    realm: str
    ha1: str
    display_name: str = ""

    def __repr__(self) -> str:
        return f"SoftphoneAccount(username={self.username!r}, domain={self.domain!r})"

    @property
    def identity(self) -> str:
        address = f"<sip:{self.username}@{self.domain}>"
        if not self.display_name:
            return address
        quoted = self.display_name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" {address}'


def linphone_document(account: SoftphoneAccount) -> bytes:
    """The account as Linphone's remote provisioning XML, UTF-8 with its declaration."""
    ElementTree.register_namespace("", LPCONFIG_NAMESPACE)
    config = ElementTree.Element(f"{{{LPCONFIG_NAMESPACE}}}config")
    sections = {
        "proxy_0": {
            "reg_proxy": f"<{account.proxy}>",
            "reg_identity": account.identity,
            "reg_expires": str(REGISTER_EXPIRES),
            "reg_sendregister": "1",
        },
        "auth_info_0": {
            "username": account.username,
            "ha1": account.ha1,
            "realm": account.realm,
            "domain": account.domain,
            "algorithm": "MD5",
        },
        "misc": {"transient_provisioning": "1"},
    }
    for name, entries in sections.items():
        section = ElementTree.SubElement(config, f"{{{LPCONFIG_NAMESPACE}}}section", name=name)
        for key, value in entries.items():
            entry = ElementTree.SubElement(
                section, f"{{{LPCONFIG_NAMESPACE}}}entry", name=key, overwrite="true"
            )
            entry.text = value
    ElementTree.indent(config)
    return ElementTree.tostring(config, encoding="UTF-8", xml_declaration=True) + b"\n"
