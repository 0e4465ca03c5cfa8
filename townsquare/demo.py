"""A neutral demo community (a neighbourhood gardening club and a chess society), built through
the same actions members use, so the demo exercises the real write paths."""

from __future__ import annotations

import random

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.core.jobs import run_pending_jobs
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

FIRST = [
    "Fern",
    "Basil",
    "Rowan",
    "Hazel",
    "Sage",
    "Juniper",
    "Clover",
    "Linden",
    "Willow",
    "Alder",
    "Ivy",
    "Reed",
    "Maple",
    "Briar",
    "Laurel",
    "Heath",
    "Rosa",
    "Thyme",
    "Aster",
    "Birch",
]
LAST = ["Brook", "Hill", "Meadow", "Field", "Stone", "Glen", "Marsh", "Dale", "Wood", "Vale"]
TOPICS = ["gardening", "chess", "compost", "seedswap", "openings", "tomatoes", "endgames"]
LINES = [
    "The runner beans are finally climbing the trellis. #gardening",
    "Who is coming to the seed swap on Saturday morning? #seedswap",
    "Practised the Italian Game all evening; still lose the same pawn. #chess #openings",
    "Compost heap is steaming nicely after the rain. #compost",
    "First ripe tomato of the year! #tomatoes",
    "Rook endgames are harder than they look. Any book tips? #endgames",
    "Thanks to everyone who helped weed the community beds today.",
    "Club night moved to Thursday this week, same room as usual. #chess",
    "Lettuce seedlings need thinning; free plants at the gate. #gardening",
    "Puzzle of the day: white to move and win in three. #chess",
    "The bees love the lavender border this year.",
    "Reminder: bring your own mugs to the tea table on Sunday.",
]


def fill_demo(
    *, members: int = 50, posts: int = 300, password: str = "demo-password", seed: int = 7
) -> str:
    rng = random.Random(seed)
    users: list[User] = []
    for i in range(members):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        username = f"{first.lower()}_{last.lower()}{'' if i < len(FIRST) * len(LAST) else i}"
        existing = User.objects.filter(username__iexact=username).first()
        if existing is not None:
            users.append(existing)
            continue
        user = account_actions.create_user(
            username, f"{username}@example.org", password, email_confirmed=True
        )
        account_actions.update_profile(
            user,
            display_name=f"{first} {last}",
            bio=f"Member of the neighbourhood club. Likes #{rng.choice(TOPICS)}.",
            locked=i % 10 == 9,
        )
        users.append(user)
    # A long-tailed follow graph: a few popular members, most with a handful of follows.
    for user in users:
        for other in rng.sample(users, k=min(len(users), rng.randint(3, 15))):
            if other.pk != user.pk:
                rank = users.index(other)
                if rank < 5 or rng.random() < 0.6:
                    graph_actions.follow(user, other)
    made = 0
    written: list = []
    for _ in range(posts):
        author = users[min(int(rng.paretovariate(1.2)) - 1, len(users) - 1)]
        visibility = rng.choices(
            [Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS], weights=[8, 1, 2]
        )[0]
        text = rng.choice(LINES)
        if rng.random() < 0.2:
            text = f"@{rng.choice(users).username} {text}"
        written.append(post_actions.create_post(author, text=text, visibility=visibility))
        made += 1
    _converse(rng, users, [p for p in written if p.visibility == Visibility.PUBLIC])
    run_pending_jobs()
    return f"Demo community ready: {len(users)} members, {made} new posts. Password: {password}"


REPLIES = [
    "Count me in!",
    "Great idea, I can bring spare pots.",
    "Same here, every single time.",
    "Thanks for the reminder.",
    "Try the library, they have a whole shelf on it.",
]


def _converse(rng: random.Random, users: list[User], public: list) -> None:
    """Replies, likes, shares and bookmarks on some public posts, and one poll, so the demo
    shows conversations as members will see them."""
    if not public:
        return
    for post in rng.sample(public, k=min(len(public), 40)):
        for member in rng.sample(users, k=min(len(users), rng.randint(1, 6))):
            if member.pk == post.author_id:
                continue
            post_actions.like(member, post)
            if rng.random() < 0.3:
                post_actions.create_post(member, text=rng.choice(REPLIES), in_reply_to=post)
            if rng.random() < 0.1:
                post_actions.share(member, post)
            if rng.random() < 0.1:
                post_actions.bookmark(member, post)
    post_actions.create_post(
        users[0],
        text="Which evening suits everyone for the next work party? #gardening",
        poll=post_actions.PollSpec(["Tuesday", "Wednesday", "Thursday"], expires_in=3 * 86400),
    )
