from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_staff_roles_invites_applications"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="login_disabled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
