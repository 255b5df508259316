"""The first schema: users, groups, memberships, annotations, reports, folders, bookmarks.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False, server_default="0"),
    )
    op.bulk_insert(sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.Integer)),
                   [{"key": "revision", "value": 0}])
    op.create_table(
        "users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("display_name", sa.String(500), nullable=False, server_default=""),
        sa.Column("role", sa.String(20), nullable=False, server_default="reader"),
    )
    op.create_table(
        "groups",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False, server_default=""),
    )
    op.create_table(
        "memberships",
        sa.Column("group_name", sa.String(200), sa.ForeignKey("groups.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_name", sa.String(200), sa.ForeignKey("users.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "annotations",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("iri", sa.String(2000), nullable=False, unique=True),
        sa.Column("volume", sa.String(200), nullable=False, index=True),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("entry", sa.String(200), nullable=False),
        sa.Column("layer", sa.String(40), nullable=False),
        sa.Column("creator", sa.String(200), nullable=False, index=True),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("group_name", sa.String(200), nullable=True),
        sa.Column("created", sa.String(40), nullable=True),
        sa.Column("modified", sa.String(40), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("origin", sa.String(500), nullable=False, server_default=""),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("volume", "slug", name="uq_annotations_volume_slug"),
    )
    op.create_table(
        "reports",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("annotation_pk", sa.Integer, sa.ForeignKey("annotations.pk", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("reporter", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("moderator", sa.String(200), nullable=True),
    )
    op.create_table(
        "folders",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(220), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False, server_default=""),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("group_name", sa.String(200), sa.ForeignKey("groups.name", ondelete="CASCADE"), nullable=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("scope", "name", name="uq_folders_scope_name"),
    )
    op.create_table(
        "folder_entries",
        sa.Column("folder_pk", sa.Integer, sa.ForeignKey("folders.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("entry", sa.String(200), nullable=False),
    )
    op.create_table(
        "bookmarks",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(200), nullable=False, index=True),
        sa.Column("entry", sa.String(200), nullable=False),
        sa.Column("layer", sa.String(40), nullable=True),
        sa.Column("exact", sa.Text, nullable=True),
        sa.Column("start", sa.Integer, nullable=True),
        sa.Column("end", sa.Integer, nullable=True),
        sa.Column("label", sa.String(500), nullable=False, server_default=""),
        sa.Column("created", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for table in ("bookmarks", "folder_entries", "folders", "reports", "annotations",
                  "memberships", "groups", "users", "store_meta"):
        op.drop_table(table)
