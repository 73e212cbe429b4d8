"""Publication quality of survey estimates and disclosure control of published tables.

* :func:`create` (``create_mean``, ``create_total``, ``create_size``,
  ``create_prop``, ``create_median``) estimates what ``calidad``'s
  ``create_*`` functions return, with the same arguments and columns.
* :func:`assess` labels each estimate by a statistics office's standard
  (INE Chile 2020 ``"chile"``, ECLAC 2023 ``"eclac_2023"``, ECLAC 2020
  ``"eclac_2020"``, INE Chile 2024 for economic surveys
  ``"chile_economics"``), reproducing INE Chile's R package ``calidad``
  0.8.2, with every criterion behind the label; gaps are judged by their
  interval.
* :func:`publishable` applies INE's table criterion (>= 50% reliable cells).
* :func:`render_label` / :func:`add_labels` render the labels in es/fr/en.
* :func:`suppress` suppresses small cells and the cells that would reveal them.
"""

from __future__ import annotations

from corridor.quality.assess import assess, is_publishable, publishable
from corridor.quality.create import create, create_mean, create_median, create_prop, create_size, create_total
from corridor.quality.disclosure import suppress
from corridor.quality.explain import explain
from corridor.quality.labels import add_labels, calidad_label, render_label, render_suppression
from corridor.quality.schemes import SCHEMES, Scheme, get_scheme

__all__ = [
    "SCHEMES",
    "Scheme",
    "add_labels",
    "assess",
    "calidad_label",
    "create",
    "create_mean",
    "create_median",
    "create_prop",
    "create_size",
    "create_total",
    "explain",
    "get_scheme",
    "is_publishable",
    "publishable",
    "render_label",
    "render_suppression",
    "suppress",
]
