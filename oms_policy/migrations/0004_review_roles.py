"""Review roles (issue 9) and the first list of rejection reasons.

Reviewers read and decide requests (the admin's change permission on a request is the right to
decide; the transition service checks the reviewers' group again). Support operators get no admin
permission on requests: they see a request only through the support look-up, masked, and write call
notes. Administrators manage staff and the reference data (regions, СМО, rejection reasons). The
head of reviewers is a reviewer who also sees the review dashboard.
"""

from django.db import migrations

GROUP_PERMISSIONS = {
    "reviewers": [
        ("oms_policy", "policyrequest", "view_policyrequest"),
        ("oms_policy", "policyrequest", "change_policyrequest"),
        ("oms_policy", "statuschange", "view_statuschange"),
        ("oms_policy", "rejectionreason", "view_rejectionreason"),
        ("oms_policy", "internalnote", "view_internalnote"),
        ("oms_policy", "internalnote", "add_internalnote"),
        ("documents", "document", "view_document"),
    ],
    "review_heads": [
        ("oms_policy", "policyrequest", "view_policyrequest"),
        ("oms_policy", "statuschange", "view_statuschange"),
        ("oms_policy", "rejectionreason", "view_rejectionreason"),
    ],
    "support_operators": [
        ("oms_policy", "callnote", "view_callnote"),
        ("oms_policy", "callnote", "add_callnote"),
    ],
    "administrators": [
        ("accounts", "user", "view_user"),
        ("accounts", "user", "add_user"),
        ("accounts", "user", "change_user"),
        ("auth", "group", "view_group"),
        ("oms_policy", "region", "view_region"),
        ("oms_policy", "region", "add_region"),
        ("oms_policy", "region", "change_region"),
        ("oms_policy", "insurancecompany", "view_insurancecompany"),
        ("oms_policy", "insurancecompany", "add_insurancecompany"),
        ("oms_policy", "insurancecompany", "change_insurancecompany"),
        ("oms_policy", "rejectionreason", "view_rejectionreason"),
        ("oms_policy", "rejectionreason", "add_rejectionreason"),
        ("oms_policy", "rejectionreason", "change_rejectionreason"),
        ("oms_policy", "requestlookup", "view_requestlookup"),
    ],
}

REJECTION_REASONS = [
    # code, text for the citizen, subject, position
    ("passport-photo-unreadable", "Скан страницы паспорта с фотографией нечитаем.", "passport_photo", 10),
    ("passport-registration-unreadable", "Скан страницы паспорта с регистрацией нечитаем.", "passport_registration", 20),
    ("data-mismatch-passport", "Данные в заявке не совпадают с паспортом.", "personal_data", 30),
    ("policy-number-not-found", "Полис с указанным номером не найден.", "current_policy_number", 40),
    ("smo-changed-this-year", "Страховую медицинскую организацию уже меняли в этом году.", "new_insurance_company", 50),
    ("smo-change-after-deadline", "Ежегодная смена СМО возможна не позднее 1 ноября.", "smo_change_reason", 60),
    ("reason-document-missing", "Нет документа, подтверждающего причину изменения.", "reason_document", 70),
    ("current-policy-unreadable", "Скан текущего полиса нечитаем.", "current_policy", 80),
]


def groups_apply(apps, group_permissions):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in group_permissions.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *[
                Permission.objects.get(content_type__app_label=app, content_type__model=model, codename=codename)
                for app, model, codename in permissions
            ]
        )


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    groups_apply(apps, GROUP_PERMISSIONS)
    RejectionReason = apps.get_model("oms_policy", "RejectionReason")
    for code, text, subject, position in REJECTION_REASONS:
        RejectionReason.objects.get_or_create(code=code, defaults={"text": text, "subject": subject, "position": position})


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["review_heads", "administrators"]).delete()
    apps.get_model("oms_policy", "RejectionReason").objects.filter(code__in=[r[0] for r in REJECTION_REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oms_policy", "0004_review_models"),
        ("accounts", "0002_staff_groups"),
        ("documents", "0001_document"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
