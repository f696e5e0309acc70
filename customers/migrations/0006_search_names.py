"""Distinct names for the search box's typo steps, kept by triggers, and the index that
reads the first live shoppers of one name by id. See `SearchName`."""

from django.db import migrations, models

NAMES_INDEX = "customer_searchname_trgm"

FORWARD = f"""
-- Filled before its GIN index is built (one bulk build); no pending list afterwards either, so a bulk
-- load into an empty database (the bench builders' COPY) leaves an index the planner costs right.
INSERT INTO customers_searchname (name)
SELECT DISTINCT search_name FROM customers_customer WHERE search_name <> ''
ON CONFLICT DO NOTHING;
ANALYZE customers_searchname;
CREATE INDEX IF NOT EXISTS {NAMES_INDEX} ON customers_searchname USING gin (name gin_trgm_ops) WITH (fastupdate = off);

CREATE OR REPLACE FUNCTION customers_search_names_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customers_searchname (name)
    SELECT DISTINCT search_name FROM added WHERE search_name <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION customers_search_name_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.search_name <> '' THEN
        INSERT INTO customers_searchname (name) VALUES (NEW.search_name) ON CONFLICT DO NOTHING;
    END IF;
    IF OLD.search_name <> ''
       AND NOT EXISTS (SELECT 1 FROM customers_customer WHERE search_name = OLD.search_name) THEN
        DELETE FROM customers_searchname WHERE name = OLD.search_name;
    END IF;
    RETURN NULL;
END $$;

-- Statement level for inserts, so a bulk COPY adds its distinct names in one statement.
CREATE TRIGGER customers_search_names_insert AFTER INSERT ON customers_customer
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION customers_search_names_added();
CREATE TRIGGER customers_search_name_update AFTER UPDATE OF search_name ON customers_customer
    FOR EACH ROW WHEN (OLD.search_name IS DISTINCT FROM NEW.search_name)
    EXECUTE FUNCTION customers_search_name_changed();
CREATE TRIGGER customers_search_name_delete AFTER DELETE ON customers_customer
    FOR EACH ROW EXECUTE FUNCTION customers_search_name_changed();

"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS customers_search_names_insert ON customers_customer;
DROP TRIGGER IF EXISTS customers_search_name_update ON customers_customer;
DROP TRIGGER IF EXISTS customers_search_name_delete ON customers_customer;
DROP FUNCTION IF EXISTS customers_search_names_added();
DROP FUNCTION IF EXISTS customers_search_name_changed();
DROP INDEX IF EXISTS {NAMES_INDEX};
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_email_prefix_index")]

    operations = [
        migrations.CreateModel(
            name="SearchName",
            fields=[("name", models.CharField(max_length=170, primary_key=True, serialize=False))],
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("erased_at__isnull", True), ("is_anonymous", False), ("merged_into__isnull", True)),
                fields=["search_name", "id"],
                name="customer_live_name_idx",
            ),
        ),
        migrations.RunSQL([FORWARD], [BACKWARD]),
    ]
