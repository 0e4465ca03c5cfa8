"""Back up a whole site to one archive, and rebuild a site from one.

`townsquare backup` and `townsquare restore` are thin wrappers around `create_backup` and
`restore_backup`. The archive is a tar file (gzip-compressed unless its name ends in `.tar`)
holding, in this order:

- the database: `db.sqlite3`, copied with SQLite's online backup API in one step (one read
  transaction, so one consistent state, while the site goes on writing to its WAL), or
  `db.pgdump`, made by `pg_dump --format=custom` (which dumps from one snapshot);
- `secret_key`, when the site uses the key generated in its data dir, so that sessions and the
  links in emails sent before keep working on the restored site;
- `media/...`: every file under MEDIA_ROOT, as read while the site runs (a file removed after
  the database was copied is simply not there; one added since is an unused extra);
- `manifest.json`, last: the format and its version, the Townsquare version, the database
  vendor, the applied migrations, and the SHA-256 and size of every other member, taken from
  the very bytes written. Being last, it is missing from any archive cut short.

A restore reads the archive twice. The first pass writes nothing: it checks every checksum,
the vendor, the migrations and that the target is empty, and any problem is a `BackupError`
with one line for the operator. The second pass unpacks into temporary places beside the
target and checks the checksums again; only then do media and database move into place (the
database last, so a site appears only once whole), and migrations bring an older backup up
to date.

The modules: `create` and `restore` (the two commands), `archive` (the members, the manifest,
writing the archive and reading and verifying it), `databases` (the SQLite online backup,
pg_dump and pg_restore), `target` (the checks that the site restored into can take the backup
and is empty, and moving media, database and secret key into place), `progress` and `errors`.
"""

from townsquare.site.backup.create import create_backup
from townsquare.site.backup.errors import BackupError
from townsquare.site.backup.progress import human_size
from townsquare.site.backup.restore import restore_backup

__all__ = ["BackupError", "create_backup", "human_size", "restore_backup"]
