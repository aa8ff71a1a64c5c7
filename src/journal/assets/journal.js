/* journal: make the tables of experiment overview pages sortable (vendored tablesort, MIT). */
(function () {
  function sortable() {
    document.querySelectorAll(".journal-overview").forEach(function (marker) {
      var article = marker.closest("article") || document;
      article.querySelectorAll("table").forEach(function (table) {
        if (!table.dataset.journalSortable && table.tHead) {
          table.dataset.journalSortable = "1";
          new Tablesort(table);
        }
      });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(sortable);  /* Material's instant navigation */
  } else {
    document.addEventListener("DOMContentLoaded", sortable);
  }
})();
