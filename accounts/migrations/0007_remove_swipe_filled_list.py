"""In a migration of its own: PostgreSQL alters no table with the deferred FK checks of 0006 pending."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_swipe_list_entry")]

    operations = [migrations.RemoveField(model_name="swipe", name="filled_list")]
