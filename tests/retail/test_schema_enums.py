from retail.api.enums import SERIALIZER_CHOICE_SETS, enum_names
from retail.models import Store, StoreMembership


def test_every_model_choice_set_gets_one_name_after_its_owner():
    # given the choice sets of the project's models / when names are derived
    names = enum_names()
    # then nested choices are named after their model, and no set is named twice
    assert names["StoreKindEnum"] is Store.Kind
    assert names["StoreMembershipRoleEnum"] is StoreMembership.Role
    value_sets = [tuple(sorted(cls.choices)) for cls in names.values()]
    assert len(value_sets) == len(set(value_sets))
    assert not set(names) & set(SERIALIZER_CHOICE_SETS)


def test_schema_generation_reports_no_enum_collisions(client, db):
    # when the OpenAPI schema is generated / then drf-spectacular has nothing to warn about
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert b"StoreKindEnum" in response.content
