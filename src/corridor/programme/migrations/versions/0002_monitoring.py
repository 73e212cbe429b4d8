"""Monitoring: reporting periods with approval per partner, values entered by partners,
revisions, a course catalogue for training records, participant disaggregations, the results
matrix's fields, partners' IATI roles, finance (budget lines, transactions), recipient-country
and sector shares, activity-level results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

SEX_OLD = "sex IN ('F', 'M')"
SEX_NEW = "sex IN ('F', 'M', 'O', 'U')"
LEVELS_OLD = "level IN ('impact', 'outcome', 'output')"
LEVELS_NEW = "level IN ('impact', 'outcome', 'output', 'activity')"


def upgrade() -> None:
    op.create_table('reporting_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_reporting_period_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_period')),
    sa.UniqueConstraint('programme_id', 'code', name=op.f('uq_reporting_period_programme_id'))
    )
    op.create_table('budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.JSON(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('amount', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('revised', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['line_of_work.id'], name=op.f('fk_budget_line_line_id_line_of_work'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_budget_line_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_line')),
    sa.UniqueConstraint('programme_id', 'code', name=op.f('uq_budget_line_programme_id'))
    )
    op.create_table('finance_transaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('amount', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('receiver_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('incoming_funds', 'outgoing_commitment', 'disbursement', 'expenditure')", name=op.f('ck_finance_transaction_kind')),
    sa.ForeignKeyConstraint(['line_id'], ['line_of_work.id'], name=op.f('fk_finance_transaction_line_id_line_of_work'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_finance_transaction_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_finance_transaction_provider_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['receiver_id'], ['organisation.id'], name=op.f('fk_finance_transaction_receiver_id_organisation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_transaction')),
    sa.UniqueConstraint('programme_id', 'code', name=op.f('uq_finance_transaction_programme_id'))
    )
    op.create_table('period_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=80), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'approved', 'locked')", name=op.f('ck_period_approval_state')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_period_approval_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['period_id'], ['reporting_period.id'], name=op.f('fk_period_approval_period_id_reporting_period'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_approval')),
    sa.UniqueConstraint('period_id', 'organisation_id', name=op.f('uq_period_approval_period_id'))
    )
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('result_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['line_id'], ['line_of_work.id'], name=op.f('fk_course_line_id_line_of_work'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_course_programme_id_programme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['result.id'], name=op.f('fk_course_result_id_result'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course')),
    sa.UniqueConstraint('programme_id', 'code', name=op.f('uq_course_programme_id'))
    )
    op.create_table('period_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=False),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['approval_id'], ['period_approval.id'], name=op.f('fk_period_event_approval_id_period_approval'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_event'))
    )
    op.create_table('manual_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=10), nullable=False),
    sa.Column('dimension', sa.JSON(), nullable=False),
    sa.Column('dimension_key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('entered_by', sa.String(length=80), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_manual_value_indicator_id_indicator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_manual_value_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['period_id'], ['reporting_period.id'], name=op.f('fk_manual_value_period_id_reporting_period'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_value')),
    sa.UniqueConstraint('indicator_id', 'organisation_id', 'period_id', 'area', 'dimension_key', name=op.f('uq_manual_value_indicator_id'))
    )
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=True),
    sa.Column('dimension', sa.JSON(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_revision_indicator_id_indicator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_revision_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=80), nullable=True))

    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=80), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_import_batch_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collection_method', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('frequency', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('responsible_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('trajectory', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_foreign_key(batch_op.f('fk_indicator_responsible_id_organisation'), 'organisation', ['responsible_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes', sa.JSON(), nullable=True))

    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('synthetic', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('iati_roles', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_meta', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('actual_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('actual_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('finance_synthetic', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('recipient_countries', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('sectors', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('sdg', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assumptions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('risks', sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_result_level'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_result_level'), LEVELS_NEW)

    with op.batch_alter_table('training_participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('age_band', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('nationality', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('migratory_status', sa.String(length=20), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_training_participant_sex'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_training_participant_sex'), SEX_NEW)

    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_training_session_course_id_course'), 'course', ['course_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_training_session_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_training_session_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_training_session_course_id_course'), type_='foreignkey')
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('course_id')

    with op.batch_alter_table('training_participant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_training_participant_sex'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_training_participant_sex'), SEX_OLD)
        batch_op.drop_column('migratory_status')
        batch_op.drop_column('nationality')
        batch_op.drop_column('age_band')

    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_result_level'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_result_level'), LEVELS_OLD)
        batch_op.drop_column('risks')
        batch_op.drop_column('assumptions')

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('sdg')
        batch_op.drop_column('sectors')
        batch_op.drop_column('recipient_countries')
        batch_op.drop_column('finance_synthetic')
        batch_op.drop_column('currency')
        batch_op.drop_column('actual_end')
        batch_op.drop_column('actual_start')
        batch_op.drop_column('evidence_meta')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('iati_roles')

    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_column('synthetic')
        batch_op.drop_column('note')
        batch_op.drop_column('unit')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('minutes')

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_indicator_responsible_id_organisation'), type_='foreignkey')
        batch_op.drop_column('trajectory')
        batch_op.drop_column('responsible_id')
        batch_op.drop_column('frequency')
        batch_op.drop_column('collection_method')

    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_import_batch_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_column('recorded_by')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('done_on')

    op.drop_table('revision')
    op.drop_table('manual_value')
    op.drop_table('period_event')
    op.drop_table('course')
    op.drop_table('period_approval')
    op.drop_table('finance_transaction')
    op.drop_table('budget_line')
    op.drop_table('reporting_period')
