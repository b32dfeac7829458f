"""teaching: labelled examples, classifier heads, glossary, fixed answers, persona examples

What a server's admins teach Sohbet (bot.teaching): every row is one server's; `teacher_id` is
the admin who taught it and `writer_id` / `asker_id` the member whose words it holds, so
`/privacy export` and forget find them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taught_examples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("writer_id", sa.BigInteger(), nullable=True),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_examples")),
        sa.UniqueConstraint(
            "server_id", "task", "text_key", name=op.f("uq_taught_examples_server_id")
        ),
    )
    op.create_index("ix_taught_examples_writer", "taught_examples", ["writer_id"])
    op.create_index("ix_taught_examples_teacher", "taught_examples", ["teacher_id"])
    op.create_table(
        "taught_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("rolled_back", sa.Boolean(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("beats_default", sa.Boolean(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("per_class", sa.JSON(), nullable=False),
        sa.Column("cv_accuracy", sa.Float(), nullable=False),
        sa.Column("default_accuracy", sa.Float(), nullable=False),
        sa.Column("flip_rate", sa.Float(), nullable=False),
        sa.Column("default_flip_rate", sa.Float(), nullable=False),
        sa.Column("flips", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("trained_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_heads")),
        sa.UniqueConstraint("server_id", "task", "version", name=op.f("uq_taught_heads_server_id")),
    )
    op.create_table(
        "taught_terms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("source_lang", sa.String(length=16), nullable=False),
        sa.Column("target_lang", sa.String(length=16), nullable=False),
        sa.Column("source_term", sa.String(length=200), nullable=False),
        sa.Column("term_key", sa.String(length=200), nullable=False),
        sa.Column("target_term", sa.String(length=200), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_terms")),
        sa.UniqueConstraint(
            "server_id",
            "source_lang",
            "target_lang",
            "term_key",
            name=op.f("uq_taught_terms_server_id"),
        ),
    )
    op.create_index("ix_taught_terms_teacher", "taught_terms", ["teacher_id"])
    op.create_table(
        "taught_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("asker_id", sa.BigInteger(), nullable=True),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_answers")),
    )
    op.create_index("ix_taught_answers_server", "taught_answers", ["server_id"])
    op.create_index("ix_taught_answers_teacher", "taught_answers", ["teacher_id"])
    op.create_index("ix_taught_answers_asker", "taught_answers", ["asker_id"])
    op.create_table(
        "taught_persona",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=False),
        sa.Column("bot_text", sa.Text(), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_persona")),
    )
    op.create_index("ix_taught_persona_server", "taught_persona", ["server_id", "channel_id"])
    op.create_index("ix_taught_persona_teacher", "taught_persona", ["teacher_id"])


def downgrade() -> None:
    for table in (
        "taught_persona",
        "taught_answers",
        "taught_terms",
        "taught_heads",
        "taught_examples",
    ):
        op.drop_table(table)
