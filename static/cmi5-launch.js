// The lesson page of a framed cmi5 AU: when the AU exits to its returnURL, that page (on
// the content origin) sends 'cmi5-returned', and the learner goes back to the course page.
(function () {
  var frame = document.querySelector('iframe.cmi5-au');
  if (!frame) return;
  var contentOrigin = frame.getAttribute('data-content-origin');
  var back = frame.getAttribute('data-return');
  window.addEventListener('message', function (e) {
    if (e.source !== frame.contentWindow || e.origin !== contentOrigin) return;
    if (e.data && e.data.type === 'cmi5-returned') window.location.assign(back);
  });
})();
