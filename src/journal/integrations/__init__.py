"""Trainers writing journal records: a Lightning logger and a Hugging Face callback.

Each lives in its own module so that importing one needs only its own library:
:mod:`journal.integrations.lightning` (``pip install 'journal[lightning]'``) and
:mod:`journal.integrations.huggingface` (``pip install 'journal[huggingface]'``).
"""
