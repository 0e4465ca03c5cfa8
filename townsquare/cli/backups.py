"""`townsquare backup` and `townsquare restore` (the work is in townsquare.site.backup)."""

from __future__ import annotations

import argparse

from townsquare.cli.common import _fail


def cmd_backup(args: argparse.Namespace) -> int:
    from townsquare.site.backup import BackupError, create_backup, human_size

    try:
        made = create_backup(args.path)
    except BackupError as exc:
        return _fail(str(exc))
    print(
        f"Backed up {made.members} members, {made.posts} posts and {made.media_files} media "
        f"files to {made.path} ({human_size(made.size)})"
    )
    from django.conf import settings

    if settings.CONFIG.s3:
        print(
            f"Media stay in the S3 bucket {settings.CONFIG.s3_bucket}, not in the archive: "
            "back the bucket up on its own (versioning or replication)."
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from townsquare.site.backup import BackupError, restore_backup

    try:
        done = restore_backup(args.path)
    except BackupError as exc:
        return _fail(str(exc))
    print(
        f"Restored {done.members} members, {done.posts} posts and {done.media_files} media "
        f"files from {args.path}"
    )
    if done.migrations_applied:
        print(f"Applied {done.migrations_applied} migrations made since the backup.")
    return 0
