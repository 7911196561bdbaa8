"""Support operators manage saved answers and read conversations; staff read the ratings."""

from django.db import migrations

GROUP_PERMISSIONS = {
    "support_operators": [
        ("support", "conversation", "view_conversation"),
        ("support", "message", "view_message"),
        ("support", "savedanswer", "view_savedanswer"),
        ("support", "savedanswer", "add_savedanswer"),
        ("support", "savedanswer", "change_savedanswer"),
        ("support", "servicerating", "view_servicerating"),
    ],
    "reviewers": [
        ("support", "servicerating", "view_servicerating"),
    ],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *[
                Permission.objects.get(content_type__app_label=app, content_type__model=model, codename=codename)
                for app, model, codename in permissions
            ]
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in GROUP_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app, model, codename in permissions:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app, content_type__model=model, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_chat_models"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
