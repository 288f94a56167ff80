"""activation links for members' phones

Revision ID: 0002_members
Revises: 0001
Create Date: 2026-11-22 00:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002_members'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activation_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_activation_link_created_by_id_user')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_activation_link_member_id_member')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_activation_link_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_activation_link_token_hash'))
    )
    with op.batch_alter_table('activation_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_link_member_id'), ['member_id'], unique=False)


def downgrade():
    with op.batch_alter_table('activation_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_link_member_id'))
    op.drop_table('activation_link')
