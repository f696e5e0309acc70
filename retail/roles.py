"""Head-office role groups and the permissions each holds.

Rules name (app label, model or "*", actions); for each permission the first rule naming its
model decides, so a specific rule listed before an "*" one narrows it. They are applied by the
data migration that creates the groups and again after every `migrate`, so models added by later
apps join their groups.
A group gives nothing without `is_staff` (the admin's door); staff must also enrol TOTP.

- merchandiser: owns the catalog, stock settings, transfers, offers, loyalty tiers and the return
  policy (with its windows by channel); reads markets, tax classes and rates, customers (segments,
  tiers, the marketing export of consenting shoppers), orders, returns and insights. No customer edits, no audit log.
- customer-service: edits customers (profiles, merges, imports, the full service export), acts on
  orders and returns; reads catalog, stock, offers and the return policy. No prices, no offers.
- store-manager: the admin has no per-store scoping, so a store manager's daily work (their
  store's orders, returns, customers, counts, transfers, insights) is in the portal, scoped to
  their memberships. The group only lets a manager who is also given `is_staff` read the chain's
  catalog and stock in the admin; no customer or order data of other stores, no changes.
- admin: everything, including users, groups, POS devices and the audit log.
"""

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)

ROLE_RULES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "merchandiser": [
        ("inventory", "*", ALL),
        ("customers", "offer", ALL),
        ("customers", "loyaltytier", ALL),
        ("customers", "tag", (VIEW, ADD, CHANGE)),
        ("customers", "customer", (VIEW,)),
        ("orders", "order", (VIEW,)),
        ("returns", "returnpolicy", (VIEW, ADD, CHANGE)),
        ("returns", "returnwindow", ALL),  # a policy's windows, edited inline on it
        ("returns", "returnrequest", (VIEW,)),
        ("insights", "*", (VIEW,)),
        ("retail", "store", (VIEW,)),
        ("retail", "market", (VIEW,)),
        ("retail", "taxclass", (VIEW,)),
        ("retail", "taxrate", (VIEW,)),
        ("retail", "exchangerate", (VIEW,)),  # the rates insights convert at
    ],
    "customer-service": [
        ("customers", "offer", (VIEW,)),
        ("customers", "loyaltytier", (VIEW,)),
        ("customers", "*", (VIEW, ADD, CHANGE)),
        ("orders", "*", (VIEW, CHANGE)),
        ("returns", "returnpolicy", (VIEW,)),
        ("returns", "returnwindow", (VIEW,)),
        ("returns", "*", (VIEW, ADD, CHANGE)),
        ("inventory", "*", (VIEW,)),
        ("retail", "store", (VIEW,)),
    ],
    "store-manager": [
        ("inventory", "category", (VIEW,)),
        ("inventory", "product", (VIEW,)),
        ("inventory", "variant", (VIEW,)),
        ("inventory", "stocklevel", (VIEW,)),
        ("inventory", "transfer", (VIEW,)),
        ("retail", "store", (VIEW,)),
    ],
    "admin": [
        ("*", "*", ALL),
    ],
}
GROUP_NAMES = tuple(ROLE_RULES)


def permissions_for(role: str, permissions):
    """The subset of `permissions` (Permission rows with content_type loaded) that `role` holds."""
    chosen = []
    for perm in permissions:
        action, _, model = perm.codename.partition("_")
        app_label = perm.content_type.app_label
        for rule_app, rule_model, actions in ROLE_RULES[role]:  # the first rule naming the model decides
            if rule_app in ("*", app_label) and rule_model in ("*", model):
                if action in actions:
                    chosen.append(perm)
                break
    return chosen


def sync_role_groups(group_model, permission_model) -> None:
    permissions = list(permission_model.objects.select_related("content_type"))
    for role in ROLE_RULES:
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(permissions_for(role, permissions))
