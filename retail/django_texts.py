"""Django's own words that its Italian or Polish catalog does not translate yet (new in Django 6), so
that `make messages` puts them in ours and the admin and the portal's forms read whole in Italian and
Polish: every select's empty choice ("- Select an option -"), the admin's "Run" for an action, the
changelist's date filter, and the labels screen readers hear. Never imported: it only marks them.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

MISSING = (
    # django/db/models/fields: the empty choice of every select, in the admin and in the portal's forms
    gettext_noop("- Select an option -"),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    # django/contrib/admin
    gettext_noop("Run"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Error:"),
    gettext_noop("Logout"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would result in deleting related objects, but your "
        "account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting the following protected related "
        "objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s “%(escaped_object)s”? All of the following related "
        "items will be deleted:"
    ),
)
MISSING_PLURAL = (ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count"),)

# A month after a day (Django's date format "E": a birthday, "valid until 16 January"): Italian writes it
# in lower case ("19 novembre"); Django's Italian catalog capitalises it ("19 Novembre").
MONTHS_AFTER_A_DAY = (
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
