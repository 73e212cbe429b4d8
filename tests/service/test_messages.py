"""Every message of the service exists in Spanish, French and English, with the same placeholders."""

from __future__ import annotations

import re

from corridor.service.i18n import LANGS, messages


def test_the_three_catalogues_have_the_same_keys_and_placeholders():
    cats = {lang: messages(lang) for lang in LANGS}
    keys = set(cats["en"])
    for lang, cat in cats.items():
        assert set(cat) == keys, (lang, sorted(set(cat) ^ keys))
    for key in keys:
        fields = {lang: set(re.findall(r"{(\w+)}", cats[lang][key])) for lang in LANGS}
        assert fields["es"] == fields["fr"] == fields["en"], (key, fields)
