"""Charts drawn on the server as SVG: readable without JavaScript, and by screen readers (the
SVG is one labelled image, and the same figures follow as a table under a disclosure).

Everything that comes from outside (titles, dates, numbers) is escaped by `format_html`."""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# The drawing's own units (it scales to the width of the page).
WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 18, 34
SVG_NS = "http://www.w3.org/2000/svg"


def _day(day: date) -> str:
    """A day without its year, in the active language's shape ("5 Mar", "5 mars")."""
    return date_format(day, "MONTH_DAY_FORMAT")


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def bar_chart(
    points: list[tuple[date, int]],
    *,
    title: str,
    description: str,
    chart_id: str,
    running_total: bool = False,
) -> SafeString:
    """A bar per day (oldest on the left, in every language: the drawing is left to right, so its
    text anchors hold in right-to-left pages too) with the count axis (0 and the highest value), the
    first, middle and last days, each bar's day and count as its tooltip, and a table of the
    same figures. `chart_id` makes the ids of the title and description unique on the page;
    `running_total`: each value is a total at the end of its day, not a count of that day."""
    values = [value for __, value in points]
    peak = max(values, default=0)
    scale = max(peak, 1)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bar_width = round(slot * 0.7, 2)
    baseline = TOP + plot_height
    if running_total:  # a total at the end of each day (members): its first and last
        summary = _("%(title)s: %(first)s on the first day, %(last)s on the last") % {
            "title": title,
            "first": _number(values[0] if values else 0),
            "last": _number(values[-1] if values else 0),
        }
    else:
        summary = _("%(title)s: highest %(peak)s a day, %(total)s in all") % {
            "title": title,
            "peak": _number(peak),
            "total": _number(sum(values)),
        }
    bars = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        (
            (
                round(LEFT + index * slot + (slot - bar_width) / 2, 2),
                round(baseline - value / scale * plot_height, 2),
                bar_width,
                round(value / scale * plot_height, 2),
                pgettext("a chart's bar: its day and count", "%(day)s: %(count)s")
                % {"day": _day(day), "count": _number(value)},
            )
            for index, (day, value) in enumerate(points)
        ),
    )
    # The first, middle and last days under the bars (the outer ones kept inside the drawing).
    ticks = {0: "start", len(points) // 2: "middle", len(points) - 1: "end"} if points else {}
    day_labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (
                {"start": LEFT, "end": WIDTH - RIGHT}.get(
                    anchor, round(LEFT + index * slot + slot / 2, 2)
                ),
                HEIGHT - 12,
                anchor,
                _day(points[index][0]),
            )
            for index, anchor in sorted(ticks.items())
        ),
    )
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td></tr>',
        ((_day(day), _number(value)) for day, value in points),
    )
    svg = format_html(
        '<svg xmlns="{ns}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
        'aria-describedby="{id}-desc" class="chart" '
        'style="width: 100%; height: auto; direction: ltr; color: var(--accent, #2b6cb0)">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<g style="fill: var(--muted, #5b6472)" font-size="12">'
        '<text x="{label_x}" y="{top_y}" text-anchor="end">{peak}</text>'
        '<text x="{label_x}" y="{base_y}" text-anchor="end">0</text>'
        "{day_labels}</g>"
        '<g style="stroke: var(--line, #dde1e7)" stroke-width="1">'
        '<line x1="{left}" y1="{top}" x2="{right}" y2="{top}" stroke-dasharray="4 4"/>'
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}"/></g>'
        '<g fill="currentColor">{bars}</g></svg>',
        ns=SVG_NS,
        w=WIDTH,
        h=HEIGHT,
        label=summary,
        id=chart_id,
        title=title,
        desc=description,
        label_x=LEFT - 6,
        top_y=TOP + 4,
        base_y=baseline + 4,
        peak=_number(peak),
        day_labels=day_labels,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        base=baseline,
        bars=bars,
    )
    return format_html(
        '<figure class="chart-figure" id="{id}">{svg}'
        "<figcaption>{summary}</figcaption>"
        "<details><summary>{show}</summary>"
        "<table><caption>{title}</caption>"
        '<thead><tr><th scope="col">{day}</th><th scope="col">{count}</th></tr></thead>'
        "<tbody>{rows}</tbody></table></details></figure>",
        id=chart_id,
        svg=svg,
        summary=summary,
        show=_("The figures as a table"),
        title=title,
        day=_("Day"),
        count=_("Count"),
        rows=rows,
    )
