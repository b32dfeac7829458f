"""index conversation messages by their platform message id

Replies to the bot look their conversation up by the Discord id of the bot's message
(`ConversationRepository.find_by_platform_message`); without this index every reply scanned
the server's whole history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_messages_platform", ["platform_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_messages_platform")
