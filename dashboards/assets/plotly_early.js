// Opened at a chart page's address, plotly.js starts loading while the server draws the page
// (when the renderer sends its first callback), instead of after the page's content arrives:
// its few hundred milliseconds of set-up overlap the wait. Until it has run, window.Plotly is
// a promise of it, which dcc.Graph waits for instead of adding a second copy of the script.
(function () {
  "use strict";
  // the pages whose layout holds a dcc.Graph (tests/dashboard/test_dashboard_plotly_early.py)
  const CHART_PAGES = ["/stocks", "/backlog", "/allocation", "/capacity"];
  const path = window.location.pathname.replace(/\/+$/, "");
  if (window.Plotly || !CHART_PAGES.some((page) => path.endsWith(page))) {
    return;
  }
  const fetchFirst = window.fetch;
  function load(prefix) {
    window.Plotly = new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      // the renderer's own address for the script (local or CDN), once it has set it
      script.src =
        window._dashPlotlyJSURL || prefix + "_dash-component-suites/plotly/package_data/plotly.min.js";
      script.async = true;
      script.onload = function () {
        resolve();
      };
      script.onerror = function (error) {
        window.Plotly = undefined;
        reject(error);
      };
      document.head.appendChild(script);
    });
  }
  window.fetch = function (resource, options) {
    const url = typeof resource === "string" ? resource : resource && resource.url;
    if (url && url.indexOf("_dash-update-component") >= 0) {
      window.fetch = fetchFirst;
      if (!window.Plotly) {
        load(url.slice(0, url.indexOf("_dash-update-component")));
      }
    }
    return fetchFirst.apply(this, arguments);
  };
})();
