"""The setup service: the one set of rules behind every way of setting up a workplace.

The wizard's steps, the list import's rows and (later) the API call these functions; none of
them holds a rule of its own. ``check_*`` functions look at input and return a :class:`Checked`
(domain values, German messages keyed by field) without changing anything; the others change a
draft, own their transaction and raise :class:`~portal.errors.Refusal` when a rule stops them.

A draft reserves what it holds: its username and its number are unique columns, and putting it
into the cart takes a place of the trunk's quota.

The modules, one concern each: :mod:`.checks` (the checks of the input), :mod:`.usernames`
(taken names and suggestions), :mod:`.numbers` (held and free numbers), :mod:`.drafts` (the
draft-step commands), :mod:`.cart` (the composite ``put_in_cart``), :mod:`.bulk_cart` (the same for a
whole list, ``put_many_in_cart``), :mod:`.release` (a draft
discarded, expired or turned into a workplace). Callers import from here.
"""

from workplaces.services.setup.bulk_cart import put_many_in_cart
from workplaces.services.setup.cart import put_in_cart, unknown_package_message
from workplaces.services.setup.checks import (
    USER_DATA_FIELDS,
    USER_DATA_RULES,
    check_contacts,
    check_same_person,
    check_trunk,
    check_user_data,
    check_username,
    check_username_while_typing,
    person_key,
)
from workplaces.services.setup.drafts import (
    add_to_cart,
    change_trunk,
    choose_package,
    conference_packages,
    live_drafts_of,
    reserve_number,
    reserve_username,
    save_user_data,
    start_draft,
)
from workplaces.services.setup.numbers import (
    NumberBook,
    check_number,
    next_free_number,
    next_free_numbers,
    number_is_held,
)
from workplaces.services.setup.release import (
    create_workplace_from,
    create_workplaces_from,
    expire_drafts,
    release_draft,
)
from workplaces.services.setup.usernames import (
    BATCH_SIZE,
    UsernameLookup,
    suggest_username,
    taken_usernames,
    username_candidates,
    username_taken,
)

__all__ = [
    "BATCH_SIZE",
    "USER_DATA_FIELDS",
    "USER_DATA_RULES",
    "NumberBook",
    "UsernameLookup",
    "add_to_cart",
    "change_trunk",
    "check_contacts",
    "check_number",
    "check_same_person",
    "check_trunk",
    "check_user_data",
    "check_username",
    "check_username_while_typing",
    "choose_package",
    "conference_packages",
    "create_workplace_from",
    "create_workplaces_from",
    "expire_drafts",
    "live_drafts_of",
    "next_free_number",
    "next_free_numbers",
    "number_is_held",
    "person_key",
    "put_in_cart",
    "put_many_in_cart",
    "release_draft",
    "reserve_number",
    "reserve_username",
    "save_user_data",
    "start_draft",
    "suggest_username",
    "taken_usernames",
    "unknown_package_message",
    "username_candidates",
    "username_taken",
]
