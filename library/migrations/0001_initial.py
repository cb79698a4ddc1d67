"""ReadingList and ReadingListEntry move here from accounts with their tables and rows: state only.

The tables keep their names (accounts_readinglist, accounts_readinglistentry); nothing in the database
changes. accounts 0008 removes the models from the accounts app's state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0007_remove_swipe_filled_list"),
        ("papers", "0007_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='ReadingList',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('slug', models.SlugField(max_length=110)),
                ('is_default', models.BooleanField(default=False)),
                ('position', models.PositiveIntegerField(default=0)),
                ('share_token', models.CharField(blank=True, max_length=43, null=True, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reading_lists', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'accounts_readinglist',
                'ordering': ['-is_default', 'position', 'name'],
            },
        ),
        migrations.CreateModel(
            name='ReadingListEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('added_at', models.DateTimeField(auto_now_add=True)),
                ('state', models.CharField(choices=[('unread', 'Unread'), ('reading', 'Reading'), ('read', 'Read')], default='unread', max_length=8)),
                ('note', models.TextField(blank=True, max_length=10000)),
                ('seen_version', models.PositiveIntegerField(default=0)),
                ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='list_entries', to='papers.paper')),
                ('reading_list', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='library.readinglist')),
            ],
            options={
                'db_table': 'accounts_readinglistentry',
                'ordering': ['-added_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='readinglist',
            name='papers',
            field=models.ManyToManyField(related_name='reading_lists', through='library.ReadingListEntry', to='papers.paper'),
        ),
        migrations.AddConstraint(
            model_name='readinglistentry',
            constraint=models.UniqueConstraint(fields=('reading_list', 'paper'), name='paper_once_per_list'),
        ),
        migrations.AddConstraint(
            model_name='readinglist',
            constraint=models.UniqueConstraint(fields=('user', 'slug'), name='unique_list_slug_per_user'),
        ),
        migrations.AddConstraint(
            model_name='readinglist',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('user',), name='one_default_list'),
        ),
            ],
        ),
    ]
