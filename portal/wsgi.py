import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# What the start-up loaded (settings, apps, models, URLs) lives as long as the process: kept
# out of the collector's full collections, which otherwise walk all of it again every few
# hundred requests (about 0.6 ms CPU a wizard request on average, as one long pause).
gc.collect()
gc.freeze()
