"""servers: the platform each server belongs to

Ids are platform-qualified (`bot.core.identity`): Discord's as they are, Telegram's in a
negative range of their own, so a Telegram chat and a Discord guild with the same number stay
two servers. The column makes the platform explicit for the rows; existing rows are read off
their id (every id stored before Telegram existed is a Discord one).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TELEGRAM_LOW = -(1 << 62) - (1 << 53)
TELEGRAM_HIGH = -(1 << 62) + (1 << 53)


def upgrade() -> None:
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform", sa.String(length=16), nullable=False, server_default="discord")
        )
    op.execute(
        sa.text(
            "UPDATE servers SET platform = 'telegram' WHERE id > :low AND id < :high"
        ).bindparams(low=TELEGRAM_LOW, high=TELEGRAM_HIGH)
    )


def downgrade() -> None:
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.drop_column("platform")
