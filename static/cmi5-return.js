// The page a cmi5 AU goes to when it exits (its returnURL). Framed by the lesson page, it
// asks that page to open the course page; in the AU's own window it opens it here.
(function () {
  var me = document.currentScript;
  var origin = me.getAttribute('data-origin');
  var target = me.getAttribute('data-target');
  if (window.parent !== window) {
    window.parent.postMessage({ type: 'cmi5-returned' }, origin);
  } else {
    window.location.replace(target);
  }
})();
