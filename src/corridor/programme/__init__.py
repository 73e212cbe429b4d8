"""The programme layer: a binational programme built on corridor's evidence.

Modules: ``models`` (ORM tables), ``db`` (engine, sessions, Alembic migrations),
``load`` (programme YAML -> database, all or nothing), ``evidence`` (the tidy
indicator table), ``activities`` (training records and their metrics),
``refresh`` (baselines and actuals from evidence and records), ``progress``
(targets judged with their confidence intervals), ``sdg`` (2030 Agenda tags),
``iati`` (IATI 2.03 results export) and ``report`` (HTML/PDF in es, fr, en).
"""
