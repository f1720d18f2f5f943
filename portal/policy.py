"""Who may see and change what: the acting principal and the one policy every command asks.

An :class:`Actor` is whoever a command acts for: a customer admin (a page, an import task)
or an API key acting with its admin's rights, each with the admin's role (``Administrator``,
``Bearbeiter``, ``Leser``) and, when limited, their trunks (``trunk_ids``); provider staff in
the back office see every customer. The policy needs no request, so a page, a task and an
API call get the same answer.

A ``Leser`` sees and changes nothing: every change is ``forbidden`` (a 403, the one refusal
that may say so: the object is visible to them). The customer's admins are reached by full
administrators only, API keys by administrators (:data:`SCOPES`, ``reach``).

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
from portal.models import AdminRole, User


@dataclass(frozen=True)
class Actor:
    """The principal of a command: the user it acts as, the customer, the trunks it may reach
    (None: all of the customer's), a label for the Protokoll (an API key's name) and the
    admin's role (:class:`~portal.models.AdminRole`)."""

    user: User
    customer_id: int | None
    label: str
    trunk_ids: frozenset[int] | None = None
    #: Provider staff in the back office: every customer.
    staff: bool = False
    role: str = AdminRole.ADMINISTRATOR

    @classmethod
    def for_admin(cls, user: User) -> Actor:
        """A customer admin acting for themselves: their customer, their role, their trunks."""
        return cls(
            user=user,
            customer_id=user.customer_id,
            label=user.username,
            trunk_ids=user.trunk_ids,
            role=user.admin_role,
        )

    @classmethod
    def for_api_key(cls, user: User, name: str) -> Actor:
        """An API key acting with its admin's rights (role and trunks), shown in the Protokoll
        by its name."""
        return cls(
            user=user,
            customer_id=user.customer_id,
            label=f"API-Schlüssel {name}",
            trunk_ids=user.trunk_ids,
            role=user.admin_role,
        )

    @property
    def changes(self) -> bool:
        """Whether the actor may change anything at all (a ``Leser`` may not)."""
        return self.staff or self.role != AdminRole.LESER

    @property
    def full_admin(self) -> bool:
        """An ``Administrator`` of every trunk: manages the customer's admins."""
        return self.staff or (self.role == AdminRole.ADMINISTRATOR and self.trunk_ids is None)

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
    draft, an import run, a cart line) belongs to, or "". ``reach``: who may see objects of
    this kind at all: "" every admin, ``"administrator"`` that role (also trunk-limited: the
    objects are then only their own, by ``owner``), ``"full"`` an administrator of all trunks.
    """

    customer: str
    customer_attr: str
    trunk: str = ""
    trunk_attr: str = ""
    owner: str = ""
    reach: str = ""
    #: ``trunk`` runs through a many-valued relation (an order's items): the object is the
    #: actor's when any of its trunks is theirs.
    trunk_many: bool = False


#: By model label (``app_label.model_name``).
SCOPES: dict[str, Scope] = {
    "trunks.siptrunk": Scope("customer", "customer_id", "pk", "pk"),
    "workplaces.workplace": Scope("trunk__customer", "trunk.customer_id", "trunk", "trunk_id"),
    "workplaces.setupdraft": Scope("customer", "customer_id", "trunk", "trunk_id", "created_by"),
    "workplaces.importrun": Scope("customer", "customer_id", "trunk", "trunk_id", "created_by"),
    # An order concerns the trunks of its items' workplaces.
    "orders.order": Scope("customer", "customer_id", "items__workplace__trunk", trunk_many=True),
    # A customer's API keys (the "API-Schlüssel" page): its administrators; one limited to
    # some trunks sees the keys they created (each acts with its creator's rights).
    "api.apikey": Scope(
        "admin__customer", "admin.customer_id", owner="admin", reach="administrator"
    ),
    # Webhook endpoints and their deliveries (the same page), as the keys: an endpoint gets
    # the events its admin may see (webhooks.services), so a trunk-limited admin's endpoint
    # hears only of their trunks.
    "webhooks.webhookendpoint": Scope(
        "admin__customer", "admin.customer_id", owner="admin", reach="administrator"
    ),
    "webhooks.webhookdelivery": Scope(
        "endpoint__admin__customer",
        "endpoint.admin.customer_id",
        owner="endpoint__admin",
        reach="administrator",
    ),
    # The Protokoll: an admin limited to some trunks sees the events of their workplaces.
    "portal.auditevent": Scope("customer", "customer_id", "trunk", "trunk_id"),
    # The customer's admins (the "Administratoren" page) and their invitations.
    "portal.user": Scope("customer", "customer_id", reach="full"),
    "admins.admininvitation": Scope("customer", "customer_id", reach="full"),
    # An order's messages (the order page's "Erneut senden").
    "notifications.notification": Scope(
        "order__customer", "order.customer_id", "order__items__workplace__trunk", trunk_many=True
    ),
    "orders.cartchange": Scope(
        "customer", "customer_id", "workplace__trunk", "workplace.trunk_id", "owner"
    ),
}


def _scope_of(model: type[Model]) -> Scope:
    try:
        return SCOPES[model._meta.label_lower]
    except KeyError:
        raise TypeError(f"the policy does not know {model._meta.label}") from None


def forbidden() -> Refusal:
    return Refusal("forbidden", _("Dazu fehlt Ihnen die Berechtigung."))


def _reaches(actor: Actor, scope: Scope) -> bool:
    """Whether the actor's role reaches objects of this kind at all."""
    if actor.staff or not scope.reach:
        return True
    if scope.reach == "full":
        return actor.full_admin
    return actor.role == AdminRole.ADMINISTRATOR


def _personal(actor: Actor, scope: Scope) -> bool:
    """Whether the actor sees only their own objects of this kind."""
    if not scope.owner:
        return False
    # The kinds an administrator reaches are the customer's, unless the trunks limit them.
    return not scope.reach or actor.trunk_ids is not None


def reaches(actor: Actor, label: str) -> bool:
    """Whether the actor's role reaches objects of the kind ``label`` (``app.model``): what
    the top bar asks before it shows a page's link."""
    return _reaches(actor, SCOPES[label])


def check_reach(actor: Actor, model: type[Model]) -> None:
    """Refuse (``forbidden``) a page about a kind of object the actor's role does not reach
    (the admins for all but full administrators, API keys for all but administrators)."""
    if not _reaches(actor, _scope_of(model)):
        raise forbidden()


def check_changes(actor: Actor) -> None:
    """Refuse (``forbidden``) a page that exists only to change something, to a ``Leser``."""
    if not actor.changes:
        raise forbidden()


def visible[M: Model](actor: Actor, queryset: QuerySet[M]) -> QuerySet[M]:
    """The objects of ``queryset`` the actor may see (personal objects: only their own;
    none of a kind the actor's role does not reach)."""
    scope = _scope_of(queryset.model)
    if actor.staff:
        return queryset
    if actor.customer_id is None or not _reaches(actor, scope):
        return queryset.none()
    allowed = Q(**{f"{scope.customer}_id": actor.customer_id})
    if scope.trunk and actor.trunk_ids is not None:
        allowed &= _on_trunks(queryset.model, scope, actor.trunk_ids)
    if _personal(actor, scope):
        allowed &= Q(**{scope.owner: actor.user})
    return queryset.filter(allowed)


def _on_trunks(model: type[Model], scope: Scope, trunk_ids: frozenset[int]) -> Q:
    on_trunks = Q(**{f"{scope.trunk}__in": sorted(trunk_ids)})
    if not scope.trunk_many:
        return on_trunks
    # A subquery, not a join: the join would repeat an object once per matching item.
    return Q(pk__in=model._default_manager.filter(on_trunks).values("pk"))


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
    if not _reaches(actor, scope):
        return False
    if scope.trunk and actor.trunk_ids is not None:
        if scope.trunk_many:
            on_trunks = _on_trunks(type(obj), scope, actor.trunk_ids)
            if not type(obj)._default_manager.filter(on_trunks, pk=obj.pk).exists():
                return False
        elif _attr(obj, scope.trunk_attr) not in actor.trunk_ids:
            return False
    if not _personal(actor, scope):
        return True
    return _attr(obj, scope.owner.replace("__", ".") + "_id") == actor.user.pk


def may_change(actor: Actor, obj: Model) -> bool:
    """Whether the actor may change ``obj``: what they see, unless they are a ``Leser``."""
    return actor.changes and may_see(actor, obj)


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
    if not actor.changes:  # what may_change asks beside may_see (a cart checks 5,000 drafts)
        raise forbidden()
