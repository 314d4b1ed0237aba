"""The `sheriff` group (Treeherder's is_staff): members may clear a whole push's classifications."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="sheriff")


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="sheriff").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_api_token"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_group, remove_group)]
