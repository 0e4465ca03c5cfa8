"""The table behind the "ratelimit" cache when it is kept in the database (embedded mode).

createcachetable skips tables that exist, so this is safe to run twice; with Redis configured
there is no database cache and nothing is created.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
