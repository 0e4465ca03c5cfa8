"""Events: a member, a page or a group's member hosts an event (title, description, start and
end in a time zone, a place or an online link, a cover); members answer going, interested or
not going, and those going or interested are reminded a day before it starts. Who may see an
event is decided in `events.queries` only; every change goes through `events.actions`."""
