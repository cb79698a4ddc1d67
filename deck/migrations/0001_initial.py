"""Swipe moves here from accounts with its table and rows: state only.

The table keeps its name (accounts_swipe), and so do its index and constraint names; nothing in the
database changes. accounts 0008 removes the model from the accounts app's state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0007_remove_swipe_filled_list"),
        ("library", "0001_initial"),
        ("papers", "0007_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Swipe',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decision', models.CharField(choices=[('keep', 'Keep'), ('skip', 'Skip')], max_length=4)),
                ('source', models.CharField(choices=[('button', 'Button'), ('key', 'Key'), ('gesture', 'Gesture'), ('history', 'History')], default='button', max_length=10)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'db_table': 'accounts_swipe',
            },
        ),
        migrations.AddField(
            model_name='swipe',
            name='list_entry',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='library.readinglistentry'),
        ),
        migrations.AddField(
            model_name='swipe',
            name='paper',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='swipes', to='papers.paper'),
        ),
        migrations.AddField(
            model_name='swipe',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='swipes', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='swipe',
            index=models.Index(fields=['user', '-created_at', '-id'], name='swipe_history_idx'),
        ),
        migrations.AddIndex(
            model_name='swipe',
            index=models.Index(fields=['paper', 'user'], name='swipe_paper_user_idx'),
        ),
        migrations.AddConstraint(
            model_name='swipe',
            constraint=models.UniqueConstraint(fields=('user', 'paper'), name='one_swipe_per_user_and_paper'),
        ),
            ],
        ),
    ]
