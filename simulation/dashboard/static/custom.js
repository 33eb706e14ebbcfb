/* carecap: load plotly.js while the server builds the first run. Solara includes this
   file in every page. plotly.js (4.8 MB) is fetched at once but run only after the page's
   load event, so it does not hold up the page's own start; it then runs while the page
   waits for the server, instead of after, when the first chart needs it. PlotlyView
   charts wait for window.carecapPlotly (and ask the server for plotly.js without it). */
(function () {
  var url = solara.rootPath + "/static/assets/plotly.min.js";
  var preload = document.createElement("link");
  preload.rel = "preload";
  preload.as = "script";
  preload.href = url;
  document.head.appendChild(preload);
  window.carecapPlotly = new Promise(function (resolve) {
    window.addEventListener("load", function () {
      var script = document.createElement("script");
      script.src = url;
      script.onload = script.onerror = resolve;
      document.head.appendChild(script);
    });
  });
})();
