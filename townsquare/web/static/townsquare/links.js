// Progressive enhancement only: without this file a video link is a plain link.
// Click-to-load embeds: the video player (and its requests to the video site) is added only
// when the reader clicks.
(function () {
  "use strict";
  var players = ["https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/"];
  function allowed(src) {
    return players.some(function (prefix) { return src.indexOf(prefix) === 0; });
  }
  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest ? event.target.closest(".link-embed-play") : null;
    var box = link ? link.closest(".link-embed") : null;
    var src = box ? box.getAttribute("data-embed-src") || "" : "";
    if (!src || !allowed(src)) return;
    event.preventDefault();
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = box.getAttribute("data-embed-title") || "Video";
    frame.className = "link-embed-frame";
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    box.replaceChildren(frame);
    box.classList.add("is-playing");
    frame.focus();
  });
})();
