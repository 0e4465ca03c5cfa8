"""Groups: members post together under the group's privacy (public, private, secret), with
roles (owner, admin, moderator, member) and membership states (member, requested, invited,
banned). Who may see a group and its posts is decided in `communities.queries` and, for the
posts, inside the one visibility rule (`posts.queries`)."""
