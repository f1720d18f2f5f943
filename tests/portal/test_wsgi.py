"""The web process's start-up (portal/wsgi.py)."""

from __future__ import annotations

import gc
import importlib


def test_the_web_process_keeps_what_it_loaded_out_of_full_collections():
    gc.unfreeze()
    try:
        import portal.wsgi

        importlib.reload(portal.wsgi)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
