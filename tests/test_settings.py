"""Configuration by environment, and production's deployment checks."""

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

# Runs manage.py in subprocesses: seconds each.
pytestmark = pytest.mark.integration

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "paperswipe.settings.production",
    "SECRET_KEY": "k3#Vq9!zR7@pL2$mW8^tY4&nB6*cX1%hJ5-fG0+dS" * 2,
    "ALLOWED_HOSTS": "paperswipe.example.org",
    "SITE_URL": "https://paperswipe.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_real_secret():
    for secret in ("", "django-insecure-" + "x" * 50, "short", "x9!" * 20):
        result = manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": secret})
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr


def test_no_model_change_lacks_a_migration():
    result = manage(
        "makemigrations", "--check", "--dry-run", env={"DJANGO_SETTINGS_MODULE": "paperswipe.settings.test"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
