"""The site's own date shapes per language (settings.FORMAT_MODULE_PATH), over Django's: the
same four names everywhere, so a page asks for `DATETIME_FORMAT` and each language says how it
writes one (letters as in Django's `date` filter). Anything not set here is Django's."""
