"""Support operators read a citizen's inbox and outbox in the admin and may resend a failed message."""

from django.db import migrations

GROUP_PERMISSIONS = {
    "support_operators": [
        ("notifications", "notification", "view_notification"),
        ("notifications", "outboundmessage", "view_outboundmessage"),
        ("notifications", "outboundmessage", "resend_outboundmessage"),
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
                *Permission.objects.filter(
                    content_type__app_label=app, content_type__model=model, codename=codename
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_notify_preferences"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
