// "Export rows (CSV)" beside a data grid: the grid's own CSV export of its rows as filtered and
// sorted, run in the browser (no server call). The button names its grid in data-grid.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.grid-export[data-grid]");
  if (!button || !window.dash_ag_grid) {
    return;
  }
  var api = window.dash_ag_grid.getApi(button.getAttribute("data-grid"));
  if (api) {
    api.exportDataAsCsv();
  }
});
