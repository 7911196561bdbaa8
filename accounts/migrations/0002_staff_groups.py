"""Staff groups with exactly the permissions each role needs.

Later migrations that add models (policy requests, documents, support threads) extend these
groups with their own permissions in the same way.
"""

from django.db import migrations

GROUP_PERMISSIONS = {
    # Reviewers decide policy-update requests; they read the citizen's account and policy data.
    "reviewers": [
        ("accounts", "user", "view_user"),
        ("oms_policy", "policy", "view_policy"),
        ("oms_policy", "region", "view_region"),
        ("oms_policy", "insurancecompany", "view_insurancecompany"),
    ],
    # Support operators look requests up by number and read accounts; they change nothing. They read
    # the security log, to answer "I'm locked out" or "was that login me?".
    "support_operators": [
        ("accounts", "user", "view_user"),
        ("oms_policy", "policy", "view_policy"),
        ("accounts", "auditevent", "view_auditevent"),
    ],
    # Identity verifiers watch verification videos and confirm or refuse them.
    "identity_verifiers": [
        ("accounts", "identityverification", "view_identityverification"),
        ("accounts", "identityverification", "change_identityverification"),
    ],
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            Permission.objects.get(content_type__app_label=app, content_type__model=model, codename=codename)
            for app, model, codename in permissions
        ]
        group.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("oms_policy", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
