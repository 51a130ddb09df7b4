/* Loaded on every page before require.js and the widget manager (html-manager's embed-amd.js). */
(function () {
  // embed-amd.js names its AMD modules "@jupyter-widgets/html-manager/dist/..." and looks for its
  // fonts next to where require.js resolves them, by default beside the page: map that name to
  // the copy in _static/vendor/. (require.js reads a `require` object defined before it loads.)
  var src = document.currentScript && document.currentScript.src;
  if (src && typeof window.require === "undefined") {
    var vendor = src.slice(0, src.lastIndexOf("/") + 1) + "vendor/html-manager";
    window.require = {paths: {"@jupyter-widgets/html-manager/dist": vendor}};
    document.addEventListener("DOMContentLoaded", function () {
      if (window.require && typeof window.require !== "function") delete window.require;  // no require.js here
    });
  }
  // ipywidgets 8 typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue), which
  // MathJax 3 does not have; without this every widget label threw a TypeError.
  function shim() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.startup) return;
    mj.Hub = {
      Queue: function (command) {
        var element = command && command[2];
        if (!element || !mj.typesetPromise) return;
        mj.startup.promise.then(function () { return mj.typesetPromise([element]); })
          .catch(function (e) { console.warn("MathJax could not typeset a widget label", e); });
      }
    };
  }
  document.addEventListener("DOMContentLoaded", shim);
})();
