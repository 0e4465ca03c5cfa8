// Live updates for a signed-in page (progressive enhancement: without this file, or without
// JavaScript, every page shows the same things on reload). One server-sent-events connection
// to the streaming server tells the page that something changed; the page then asks the web
// server for what it shows (the menu's numbers, new feed entries, a conversation's messages).
// After a dropped connection the browser reconnects by itself and the page catches up.
(function () {
  "use strict";
  var body = document.body;
  var liveUrl = body && body.getAttribute("data-live");
  var POLL_MS = 15000;  // the home feed's fallback while there is no live connection
  var fallback = null;

  function pollFeed() {
    var poller = document.getElementById("feed-poller");
    if (poller && window.htmx) window.htmx.trigger(poller, "live");
  }
  function startFallback() { if (!fallback) fallback = setInterval(pollFeed, POLL_MS); }
  function stopFallback() { clearInterval(fallback); fallback = null; }

  if (!liveUrl || !window.EventSource || !window.fetch) {
    startFallback();
    return;
  }

  var badgesUrl = body.getAttribute("data-badges");
  var thread = document.getElementById("thread");
  var typingLine = document.getElementById("typing");
  var typingTimer = null;
  var everConnected = false;
  var down = false;

  function setBadge(name, count) {
    var slot = document.querySelector('[data-badge="' + name + '"]');
    if (!slot) return;
    slot.textContent = "";
    if (count > 0) {
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("aria-label", count + " unread");
      badge.textContent = String(count);
      slot.appendChild(document.createTextNode(" "));
      slot.appendChild(badge);
    }
  }

  function refreshBadges() {
    if (!badgesUrl) return;
    fetch(badgesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        setBadge("notifications", counts.notifications);
        setBadge("messages", counts.messages);
      })
      .catch(function () {});
  }

  var refreshFeed = pollFeed;

  function scrollToNewest() {
    if (!thread) return;
    var items = thread.querySelectorAll(".messages-thread > li");
    if (items.length) items[items.length - 1].scrollIntoView({ block: "end" });
  }

  function refreshThread() {
    if (!thread) return;
    fetch(thread.getAttribute("data-thread-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        thread.innerHTML = html;
        if (window.htmx) window.htmx.process(thread);
        scrollToNewest();
        refreshBadges();  // reading the new messages may change the menu's count
      })
      .catch(function () {});
  }

  function showTyping(name) {
    if (!typingLine) return;
    // The sentence comes translated from the page (data-typing: "{name} is typing…").
    var sentence = typingLine.getAttribute("data-typing") || "{name} is typing…";
    typingLine.textContent = sentence.replace("{name}", name);
    typingLine.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingLine.hidden = true; }, 5000);
  }

  function onLive(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    var here = thread && thread.getAttribute("data-conversation") === data.conversation;
    if (data.kind === "message") {
      if (here) {
        if (typingLine) typingLine.hidden = true;
        refreshThread();
      } else {
        refreshBadges();
      }
    } else if (data.kind === "read" && here) {
      refreshThread();
    } else if (data.kind === "typing" && here) {
      showTyping(data.name || (typingLine && typingLine.getAttribute("data-someone")) || "…");
    }
  }

  function catchUp() {
    refreshBadges();
    refreshFeed();
    refreshThread();
  }

  var source = new EventSource(liveUrl, { withCredentials: true });
  source.addEventListener("open", function () {
    stopFallback();
    if (down && everConnected) catchUp();
    // A conversation read (or answered) between this page's rendering and its connection
    // would otherwise wait for the next event: a conversation page reads its thread once more.
    else if (!everConnected && thread) refreshThread();
    everConnected = true;
    down = false;
    body.setAttribute("data-live-state", "open");
  });
  source.addEventListener("error", function () {
    startFallback();
    down = true;
    body.setAttribute("data-live-state", "down");
  });
  source.addEventListener("update", refreshFeed);
  source.addEventListener("notification", refreshBadges);
  source.addEventListener("live", onLive);

  // The conversation page: start at the newest message, and tell the others while typing.
  if (thread) {
    scrollToNewest();
    var box = document.querySelector(".message-form textarea");
    var typingUrl = thread.getAttribute("data-typing-url");
    var lastSent = 0;
    var token = document.querySelector(".message-form input[name=csrfmiddlewaretoken]");
    if (box && typingUrl && token) {
      box.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastSent < 3000 || !box.value.trim()) return;
        lastSent = now;
        fetch(typingUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": token.value },
        }).catch(function () {});
      });
    }
  }
})();
