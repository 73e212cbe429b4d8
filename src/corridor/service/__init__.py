"""The corridor web service and dashboard (FastAPI, server-rendered Jinja2 pages, JSON API).

>>> from corridor.service.app import create_app              # doctest: +SKIP
>>> from corridor.service.settings import Settings           # doctest: +SKIP
>>> app = create_app(Settings(data_dir="corridor-data"))     # doctest: +SKIP
"""
