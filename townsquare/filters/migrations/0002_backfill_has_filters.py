from django.db import migrations


class Migration(migrations.Migration):
    """Members who already have filters get `has_filters` (safe to run again)."""

    dependencies = [
        ("filters", "0001_filters_keywords_statuses"),
        ("accounts", "0004_user_has_filters"),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE accounts_user SET has_filters = TRUE"
            " WHERE id IN (SELECT owner_id FROM filters_filter)",
            migrations.RunSQL.noop,
        )
    ]
