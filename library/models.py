from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from paperswipe.encryption import decrypt, encrypt


class ReadingList(models.Model):
    """A named list of papers: a reader's own (every reader has one default list, "Reading list"), or a
    group's, which every member of the group reads and adds to. Exactly one of `user` and `group` is set,
    so a query for a reader's own lists never finds a group's."""

    DEFAULT_NAME = "Reading list"
    DEFAULT_SLUG = "reading-list"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="reading_lists"
    )
    group = models.ForeignKey("Group", on_delete=models.CASCADE, null=True, blank=True, related_name="lists")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=110)
    is_default = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    # Set when the owner publishes the list: the unguessable part of its read-only URL.
    share_token = models.CharField(max_length=43, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    papers = models.ManyToManyField("papers.Paper", through="ReadingListEntry", related_name="reading_lists")

    class Meta:
        db_table = "accounts_readinglist"  # the table from before the library had its own app
        ordering = ["-is_default", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "slug"], name="unique_list_slug_per_user"),
            models.UniqueConstraint(fields=["user"], condition=models.Q(is_default=True), name="one_default_list"),
            models.UniqueConstraint(
                fields=["group", "slug"], condition=models.Q(group__isnull=False), name="unique_list_slug_per_group"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) ^ models.Q(group__isnull=True), name="list_of_a_user_or_a_group"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.slug = self.slug or slugify(self.name)[:100] or "list"
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        """The list's name where lists of several groups meet ("Save to…", Zotero's collections): a group's
        list is named after the group too."""
        return f"{self.group.name} · {self.name}" if self.group_id and self.group else self.name


class ReadingListEntry(models.Model):
    class State(models.TextChoices):
        UNREAD = "unread", "Unread"
        READING = "reading", "Reading"
        READ = "read", "Read"

    NOTE_MAX = 10_000

    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="list_entries")
    added_at = models.DateTimeField(auto_now_add=True)
    # Who added it to a group's list (kept empty on a reader's own); empty again once that account is gone.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.UNREAD)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    # The paper's version when the user last opened it: a newer one is shown as "updated to vN".
    seen_version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "accounts_readinglistentry"
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["reading_list", "paper"], name="paper_once_per_list")]

    def __str__(self) -> str:
        return f"{self.reading_list}: {self.paper_id}"

    @property
    def has_new_version(self) -> bool:
        return bool(self.paper.version and self.seen_version and self.paper.version > self.seen_version)


class ZoteroAccount(models.Model):
    """The reader's Zotero library: their Zotero user ID and an API key that may write to it, encrypted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="zotero_account")
    zotero_user_id = models.CharField(max_length=20)
    zotero_username = models.CharField(max_length=150, blank=True)
    encrypted_api_key = models.TextField()
    key_last_four = models.CharField(max_length=4)
    connected_at = models.DateTimeField(auto_now=True)
    # Set to the library's version before a batch of new items goes out, cleared once Zotero's answer is
    # recorded: still set, the answer was lost (a cut connection, a killed worker), and the next send
    # looks among the items created since before it creates any.
    unconfirmed_since = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Zotero user {self.zotero_user_id}"

    @property
    def api_key(self) -> str:
        return decrypt(self.encrypted_api_key)

    def set_api_key(self, api_key: str) -> None:
        self.encrypted_api_key = encrypt(api_key)
        self.key_last_four = api_key[-4:]


class ZoteroItem(models.Model):
    """A paper the reader sent to a Zotero library, as that library knows it: sending it again updates
    this item (only when the paper has a newer version since), never creates another."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="zotero_items")
    zotero_user_id = models.CharField(max_length=20)
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="+")
    item_key = models.CharField(max_length=16)
    paper_version = models.PositiveIntegerField(default=0)  # the arXiv version the item describes
    # The fields as we last wrote them: a field the reader has changed in Zotero since is left alone.
    sent_fields = models.JSONField(default=dict, blank=True)
    # Per reading list (its id): {"key": the child note holding the entry's note, "digest": of what we sent}.
    notes = models.JSONField(default=dict, blank=True)
    # The child "arXiv Fulltext PDF" link, made once with the item: one the reader deletes stays deleted.
    pdf_link_key = models.CharField(max_length=16, blank=True)
    # The reader's own item, found in the library when the paper was first sent (saved with the Zotero
    # Connector, say): it joins collections, but its fields and attachments stay the reader's.
    adopted = models.BooleanField(default=False)
    sent_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "zotero_user_id", "paper"], name="one_zotero_item_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} → {self.item_key}"


class ZoteroSend(models.Model):
    """One "Send to Zotero": a list, or one paper, on its way; the page shows its state."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DONE = "done", "Sent"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.SENDING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="zotero_sends")
    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Set for a single paper (from its page or a list entry); unset, the whole list goes.
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    collection_name = models.CharField(max_length=100, blank=True)  # empty: the library's root
    with_notes = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True)  # [{"arxiv_id", "title", "message"}]
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One send at a time per reader: a double click, or a second tab, joins the running one.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(state__in=["queued", "sending"]), name="one_active_zotero_send"
            )
        ]

    def __str__(self) -> str:
        return f"send {self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def what(self) -> str:
        if self.paper is not None:
            return f"arXiv:{self.paper.arxiv_id}"
        return f"“{self.collection_name}”" if self.collection_name else "your papers"

    @property
    def summary(self) -> str:
        """The state in words, as the list page and the status poll show it."""
        where = f" in the collection “{self.collection_name}”" if self.collection_name else ""
        if self.state == self.State.QUEUED:
            return "Queued: on its way to Zotero."
        if self.state == self.State.SENDING:
            return f"Sending to Zotero: {self.sent} of {self.total} sent."
        if self.state == self.State.FAILED:
            progress = f" ({self.sent} of {self.total} were sent before it stopped.)" if self.sent else ""
            return f"Not sent to Zotero: {self.error}{progress}"
        failed = len(self.failures)
        tail = f" {failed} could not be sent." if failed else ""
        return f"Sent {self.sent} of {self.total} to Zotero{where}.{tail}"


class Group(models.Model):
    """A lab or reading group: private, seen only by its members (library/groups/)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=110, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="reading_groups")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    # The member's own deck keeps, shown to the group ("Kept in your group this week"): off until the member
    # switches it on; read at the time of showing, so switching it off hides past keeps as well.
    shares_keeps = models.BooleanField(default=False)
    # The week's journal club pick by email; the email's one-click unsubscribe turns it off.
    club_email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group_and_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class Invitation(models.Model):
    """A way into a group: a link (`/groups/join/<signed token>/`) that up to `max_uses` people may use until it
    expires or an owner withdraws it, or one sent to an email address, usable once."""

    LIFETIME_DAYS = 7

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(blank=True, help_text="Set for an invitation sent by email.")
    max_uses = models.PositiveSmallIntegerField(default=10)
    uses = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation {self.pk} to {self.group}"


class MemberReadState(models.Model):
    """A member's own read state of an entry in a group's list, and the version they last opened: what one
    has read, the others may not have."""

    entry = models.ForeignKey(ReadingListEntry, on_delete=models.CASCADE, related_name="read_states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        max_length=8, choices=ReadingListEntry.State.choices, default=ReadingListEntry.State.UNREAD
    )
    # The paper's version when the member last opened the entry (0: not yet; the entry's own seen_version, the
    # version it was added at, stands in): a newer one is shown to them as "updated to vN".
    seen_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="one_read_state_per_member")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state} {self.entry_id}"


class Comment(models.Model):
    """A member's comment on an entry of a group's list: plain text, its links made clickable when shown.
    A deleted account leaves its comments in place, their text and author removed ("a former member")."""

    TEXT_MAX = 5000

    entry = models.ForeignKey(ReadingListEntry, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(max_length=TEXT_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.entry_id}"


class Vote(models.Model):
    """A member's "+1 for journal club" on an entry for one week (library/groups/club.py): it counts in that
    week only, and once the week is over nobody can take it back, so a week's pick stays what it was."""

    entry = models.ForeignKey(ReadingListEntry, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday (UTC) of the week the vote counts in.")
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "user", "week"], name="one_vote_per_member_entry_and_week")
        ]
        indexes = [models.Index(fields=["week"], name="vote_week_idx")]

    def __str__(self) -> str:
        return f"+1 by {self.user_id} on {self.entry_id}"


class ClubEmailSent(models.Model):
    """The week's pick, emailed to one member, claimed before it goes out: the unique week stops a second
    beat tick or worker from sending it again."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(max_length=8, help_text='The ISO week of the votes, "2026-W48" (UTC).')
    entry = models.ForeignKey(ReadingListEntry, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "journal club emails sent"
        constraints = [models.UniqueConstraint(fields=["group", "user", "week"], name="one_club_email_per_week")]

    def __str__(self) -> str:
        return f"{self.week} pick of {self.group} to {self.user_id}"
