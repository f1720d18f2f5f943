"""Who may see and change what: the acting principal and the one policy every command asks.

An :class:`Actor` is whoever a command acts for: today a customer admin (a page, an import
task); next an API key acting with its admin's rights, then an admin whose role is limited to
some trunks (``trunk_ids``); provider staff in the back office see every customer. The policy
needs no request, so a page, a task and an API call get the same answer.

The policy knows each kind of object by the path from it to its customer and its trunk
(:data:`SCOPES`), so this bottom layer needs none of the models above it. A foreign object is
"not found", never "forbidden": the answer must not confirm that it exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from portal.errors import Refusal
from portal.models import User


@dataclass(frozen=True)
class Actor:
    """The principal of a command: the user it acts as, the customer, the trunks it may reach
    (None: all of the customer's), and a label for the Protokoll (an API key's name, a role)."""

    user: User
    customer_id: int | None
    label: str
    trunk_ids: frozenset[int] | None = None
    #: Provider staff in the back office: every customer.
    staff: bool = False

    @classmethod
    def for_admin(cls, user: User) -> Actor:
        """A customer admin acting for themselves: their customer, all its trunks."""
        return cls(user=user, customer_id=user.customer_id, label=user.username)

    @classmethod
    def for_api_key(cls, user: User, name: str) -> Actor:
        """An API key acting with its admin's rights, shown in the Protokoll by its name."""
        return cls(user=user, customer_id=user.customer_id, label=f"API-Schlüssel {name}")

    @property
    def shown_label(self) -> str:
        """What the Protokoll shows beside the user, or "" when it shows the user alone (an
        admin acting for themselves is labelled with their own username)."""
        return "" if self.label == self.user.username else self.label

    @classmethod
    def for_staff(cls, user: User) -> Actor:
        """Provider staff in the back office."""
        return cls(user=user, customer_id=None, label=user.username, staff=True)


@dataclass(frozen=True)
class Scope:
    """How objects of one model reach their customer and trunk, and whose they are.

    ``customer``/``trunk``: query paths; ``customer_attr``/``trunk_attr``: the same as
    attributes of a loaded object; ``owner``: the field of the admin a personal object (a
    draft, an import run, a cart line) belongs to, or "".
    """

    customer: str
    customer_attr: str
    trunk: str = ""
    trunk_attr: str = ""
    owner: str = ""


#: By model label (``app_label.model_name``).
SCOPES: dict[str, Scope] = {
    "trunks.siptrunk": Scope("customer", "customer_id", "pk", "pk"),
    "workplaces.workplace": Scope("trunk__customer", "trunk.customer_id", "trunk", "trunk_id"),
    "workplaces.setupdraft": Scope("customer", "customer_id", "trunk", "trunk_id", "created_by"),
    "workplaces.importrun": Scope("customer", "customer_id", "trunk", "trunk_id", "created_by"),
    "orders.order": Scope("customer", "customer_id"),
    # A customer's API keys (the "API-Schlüssel" page): every admin of the customer sees them.
    "api.apikey": Scope("admin__customer", "admin.customer_id"),
    # Webhook endpoints and their deliveries (the same page): every admin of the customer.
    "webhooks.webhookendpoint": Scope("admin__customer", "admin.customer_id"),
    "webhooks.webhookdelivery": Scope("endpoint__admin__customer", "endpoint.admin.customer_id"),
    # An order's messages (the order page's "Erneut senden").
    "notifications.notification": Scope("order__customer", "order.customer_id"),
    "orders.cartchange": Scope(
        "customer", "customer_id", "workplace__trunk", "workplace.trunk_id", "owner"
    ),
}


def _scope_of(model: type[Model]) -> Scope:
    try:
        return SCOPES[model._meta.label_lower]
    except KeyError:
        raise TypeError(f"the policy does not know {model._meta.label}") from None


def visible[M: Model](actor: Actor, queryset: QuerySet[M]) -> QuerySet[M]:
    """The objects of ``queryset`` the actor may see (personal objects: only their own)."""
    scope = _scope_of(queryset.model)
    if actor.staff:
        return queryset
    if actor.customer_id is None:
        return queryset.none()
    allowed = Q(**{f"{scope.customer}_id": actor.customer_id})
    if scope.trunk and actor.trunk_ids is not None:
        allowed &= Q(**{f"{scope.trunk}__in": sorted(actor.trunk_ids)})
    if scope.owner:
        allowed &= Q(**{scope.owner: actor.user})
    return queryset.filter(allowed)


def _attr(obj: object, path: str) -> object:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def may_see(actor: Actor, obj: Model) -> bool:
    """Whether the actor may see ``obj`` (a loaded object; no query when its trunk is loaded)."""
    scope = _scope_of(type(obj))
    if actor.staff:
        return True
    if actor.customer_id is None or _attr(obj, scope.customer_attr) != actor.customer_id:
        return False
    limited = scope.trunk_attr and actor.trunk_ids is not None
    if limited and _attr(obj, scope.trunk_attr) not in actor.trunk_ids:
        return False
    return not scope.owner or getattr(obj, f"{scope.owner}_id") == actor.user.pk


def may_change(actor: Actor, obj: Model) -> bool:
    """Whether the actor may change ``obj``. Today every admin may change what they see; the
    roles (``Leser``) will say otherwise here."""
    return may_see(actor, obj)


def not_found() -> Refusal:
    return Refusal("not_found", _("Nicht gefunden."))


def find[M: Model](actor: Actor, queryset: QuerySet[M], code: object) -> M:
    """The object with public ``code`` (a UUID) that ``actor`` may see; else ``not_found``,
    whether it is another customer's, gone, or never was."""
    try:
        return visible(actor, queryset).get(code=uuid.UUID(str(code)))
    except (ValueError, queryset.model.DoesNotExist):
        raise not_found() from None


def check_change(actor: Actor, obj: Model) -> None:
    """Refuse (``not_found``) unless the actor may change ``obj``; what the actor may not even
    see is not found, whatever it is."""
    if not may_see(actor, obj):
        raise not_found()
    if not may_change(actor, obj):
        raise Refusal("forbidden", _("Dazu fehlt Ihnen die Berechtigung."))
