import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """`makemigrations --check` exits non-zero when a model change has no migration."""
    try:
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    except SystemExit as exit_:  # raised only when changes are missing
        pytest.fail(f"models changed without a migration (exit {exit_.code}); run makemigrations")
