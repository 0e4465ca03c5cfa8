"""Home feed, public and tag timelines, composing, permalinks, deleting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.accounts.queries import can_act_as
from townsquare.communities.models import Group
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.feeds.queries import (
    LIVE_LIMIT,
    LiveCursor,
    home_feed,
    home_feed_since,
    live_cursor,
)
from townsquare.media import actions as media_actions
from townsquare.posts import actions, queries
from townsquare.posts.display import hydrate
from townsquare.posts.models import Post
from townsquare.posts.queries import ListedPost
from townsquare.posts.threads import ReplyNode, thread
from townsquare.posts.visibility import reviewable
from townsquare.site import features
from townsquare.web import render as cards
from townsquare.web.forms import EditPostForm, PostForm
from townsquare.web.views.common import apply_errors, parse_id, safe_next


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _timeline_response(
    request: HttpRequest,
    template: str,
    context: dict,
    posts: list[ListedPost],
    next_max_id: int | None,
) -> HttpResponse:
    context = {**context, "posts": posts, "next_max_id": next_max_id}
    if _is_htmx(request) and request.GET.get("max_id"):
        return render(request, "web/_post_page.html", context)
    return render(request, template, context)


def _next_cursor(posts: list[ListedPost], limit: int) -> int | None:
    return posts[-1].pk if len(posts) == limit else None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # The latest public posts, unless the operator keeps the public timeline for members.
        shown = features.enabled("public_timeline")
        posts = queries.public_timeline(None, limit=10) if shown else []
        return render(request, "web/landing.html", {"posts": posts, "show_posts": shown})
    return _home(request, PostForm())


def _home(request: HttpRequest, form: PostForm, status: int = 200) -> HttpResponse:
    assert isinstance(request.user, User)
    cursor = parse_cursor(request.GET)
    live = cursor.max_id is None
    feed = home_feed(request.user, max_id=cursor.max_id, limit=cursor.limit)
    top_id = live_cursor(feed.posts) if live else None
    context = {"form": form, "top_id": top_id, "live": live}
    response = _timeline_response(request, "web/home.html", context, feed.posts, feed.next_max_id)
    response.status_code = status
    return response


@require_GET
def home_new(request: HttpRequest) -> HttpResponse:
    """Live updates for the home feed: what arrived after `since` (a feeds.queries.LiveCursor),
    and the next poller."""
    if not isinstance(request.user, User):
        # Signed out meanwhile (or the session expired): 286 tells htmx to stop polling,
        # rather than swapping a login page into the feed.
        return HttpResponse(status=286)
    since = LiveCursor.parse(request.GET.get("since"))
    posts = home_feed_since(request.user, since)
    context = {
        "posts": posts,
        "top_id": live_cursor(posts, since),
        "more_than_shown": len(posts) == LIVE_LIMIT,
    }
    return render(request, "web/_feed_new.html", context)


@require_GET
def public_timeline(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated and not features.enabled("public_timeline"):
        return redirect_to_login(request.get_full_path())  # members only, by the operator
    cursor = parse_cursor(request.GET)
    posts = queries.public_timeline(request.user, max_id=cursor.max_id, limit=cursor.limit)
    return _timeline_response(
        request, "web/public.html", {}, posts, _next_cursor(posts, cursor.limit)
    )


def _target(member: User, raw: int | None) -> Post | None:
    """The post a reply answers or a quote shares, when the member may see it."""
    if raw is None:
        return None
    post = queries.get_visible(member, raw)
    if post is None:
        raise ValidationError(_("The post you are answering is not available any more."))
    return post


def _group_target(group_id: int | None) -> Group | None:
    """The group a post is written in (whether the author may is the action's to say)."""
    if not group_id:
        return None
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise ValidationError(_("Join the group to post in it."))
    return group


def _acting_as(member: User, account_id: int | None) -> User:
    """The account a post is made as: the member, or a page on whose team they are."""
    if not account_id or account_id == member.pk:
        return member
    account = User.objects.filter(pk=account_id).first()
    if account is None or not can_act_as(member, account):
        raise ValidationError(_("You can't post as that account."))
    return account


def _publish(member: User, form: PostForm) -> Post:
    """Create the post the composer describes: uploads first, then the post with them; a
    failure leaves no upload behind."""
    data = form.cleaned_data
    member = _acting_as(member, data.get("as_account"))
    options = form.poll_options()
    poll = (
        actions.PollSpec(options, data["poll_multiple"], data["poll_expires_in"] or 24 * 60 * 60)
        if options
        else None
    )
    uploaded = []
    try:
        for upload, alt, focus in form.uploads():
            try:
                uploaded.append(media_actions.upload(member, upload, description=alt, focus=focus))
            except ValidationError as exc:
                raise ValidationError({"media": exc.messages}) from None
        return actions.create_post(
            member,
            text=data["text"],
            visibility=data["visibility"],
            in_reply_to=_target(member, data.get("in_reply_to")),
            quote_of=_target(member, data.get("quote_of")),
            group=_group_target(data.get("group")),
            spoiler_text=data["spoiler_text"],
            sensitive=data["sensitive"],
            media_ids=[attachment.pk for attachment in uploaded],
            poll=poll,
        )
    except BaseException:
        media_actions.discard_uploads(member, [attachment.pk for attachment in uploaded])
        raise


@login_required
@require_POST
def compose(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = PostForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            post = _publish(request.user, form)
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Posted."))
            parent = post.in_reply_to
            default = (
                reverse("post", args=[parent.author.username, parent.pk]) + f"#post-{post.pk}"
                if parent is not None
                else reverse("home")
            )
            return redirect(safe_next(request, default))
    if form.data.get("in_reply_to") or form.data.get("quote_of"):
        return _compose_page(request, form, status=400)
    return _home(request, form, status=400)


def _compose_page(request: HttpRequest, form: PostForm, status: int = 200) -> HttpResponse:
    assert isinstance(request.user, User)
    reply_to = parse_id(str(form["in_reply_to"].value() or ""))
    quote = parse_id(str(form["quote_of"].value() or ""))
    shown = queries.posts_by_id(request.user, [pid for pid in (reply_to, quote) if pid])
    context = {
        "form": form,
        "answering": [shown[reply_to]] if reply_to in shown else [],
        "quoting": [shown[quote]] if quote in shown else [],
    }
    return render(request, "web/compose.html", context, status=status)


@login_required
@require_GET
def compose_page(request: HttpRequest) -> HttpResponse:
    """The composer on a page of its own: for a quote share (?quote=id) or a reply
    (?reply_to=id), with the post shown above it."""
    assert isinstance(request.user, User)
    initial: dict[str, object] = {}
    reply_to = parse_id(request.GET.get("reply_to"))
    quote = parse_id(request.GET.get("quote"))
    if reply_to:
        parent = queries.get_visible(request.user, reply_to)
        if parent is None:
            raise Http404("No such post, or you cannot see it.")
        initial.update(in_reply_to=parent.pk, text=reply_prefill(request.user, parent))
        initial["visibility"] = parent.visibility
    if quote:
        if queries.get_visible(request.user, quote) is None:
            raise Http404("No such post, or you cannot see it.")
        initial["quote_of"] = quote
    return _compose_page(request, PostForm(initial=initial, with_extras=True))


def reply_prefill(member: User, parent: Post | ListedPost) -> str:
    """A reply starts by mentioning the author answered (not oneself)."""
    if parent.author_id == member.pk:
        return ""
    return f"@{parent.author.username} "


@require_GET
def post_detail(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    """A post with its conversation. Two queries: the post (through the visibility decision)
    and the whole conversation."""
    focus = queries.posts_by_id(request.user, [post_id]).get(post_id)
    if focus is None or focus.author.username.lower() != username.lower():
        raise Http404("No such post, or you cannot see it.")
    if focus.author.username != username:
        return redirect("post", focus.author.username, focus.pk, permanent=True)
    if focus.reblog_of_id is not None:  # a share's page is its original's
        original = queries.posts_by_id(request.user, [focus.reblog_of_id]).get(focus.reblog_of_id)
        if original is None:
            raise Http404("No such post, or you cannot see it.")
        return redirect("post", original.author.username, original.pk)
    post = focus
    conversation = thread(request.user, focus, after=parse_id(request.GET.get("after")))
    listed = [*conversation.ancestors, focus, *_flatten(conversation.replies)]
    views = {view.item.id: view for view in hydrate(request.user, listed)}
    member = request.user if isinstance(request.user, User) else None
    form = None
    if member is not None:
        form = PostForm(
            initial={
                "in_reply_to": post.pk,
                "text": reply_prefill(member, post),
                "visibility": post.visibility,
            }
        )
    context = {
        "post": post,
        "thread_html": cards.thread_html(
            conversation, views, member, get_token(request), request.get_full_path()
        ),
        "more_after": conversation.more_after,
        "form": form,
    }
    return render(request, "web/post.html", context)


def _flatten(nodes: list[ReplyNode]) -> list[ListedPost]:
    found: list[ListedPost] = []
    for node in nodes:
        found.append(node.post)
        found.extend(_flatten(node.children))
    return found


@login_required
@require_http_methods(["GET", "POST"])
def edit_post(request: HttpRequest, post_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    post = queries.get_visible(request.user, post_id)
    # One's own post, or a post of a page one is on the team of (edited as the page).
    if post is None or post.reblog_of_id is not None or not can_act_as(request.user, post.author):
        raise Http404("No such post of yours.")
    status = 200
    if request.method == "POST":
        form = EditPostForm(request.POST)
        if form.is_valid():
            try:
                actions.edit_post(
                    post.author,
                    post,
                    text=form.cleaned_data["text"],
                    spoiler_text=form.cleaned_data["spoiler_text"],
                    sensitive=form.cleaned_data["sensitive"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your post is updated."))
                return redirect("post", post.author.username, post.pk)
        status = 400
    else:
        form = EditPostForm(
            initial={
                "text": post.text,
                "spoiler_text": post.spoiler_text,
                "sensitive": post.sensitive,
            }
        )
    return render(request, "web/edit_post.html", {"form": form, "post": post}, status=status)


@require_GET
def post_history(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = queries.get_visible(request.user, post_id)
    if post is None or post.author.username.lower() != username.lower():
        raise Http404("No such post, or you cannot see it.")
    versions = list(post.edits.order_by("-id"))
    return render(request, "web/post_history.html", {"post": post, "versions": versions})


@login_required
@require_POST
def delete_post(request: HttpRequest, post_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    # A group's moderators also reach the posts held in its queue (to decline them).
    post = queries.get_visible(request.user, post_id) or reviewable(request.user, post_id)
    if post is None:
        raise Http404("No such post.")
    actions.delete_post(request.user, post)  # PermissionDenied becomes a 403 page
    if post.author_id == request.user.pk:
        messages.success(request, _("Your post is deleted."))
    elif post.held:
        messages.success(request, _("Declined: the post is deleted."))
    else:
        messages.success(request, _("The post is deleted."))
    if post.group is not None:
        return redirect(safe_next(request, reverse("group", args=[post.group.handle])))
    return redirect(safe_next(request, reverse("profile", args=[post.author.username])))
