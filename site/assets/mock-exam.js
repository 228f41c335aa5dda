/* Mock exam: a score per domain, computed from mkdocs-quiz's own record of the answers.
 *
 * mkdocs-quiz keeps each page's answers in localStorage ("quiz_progress_" + path, one entry per
 * quiz id: {answered, correct}) and fires "quizProgressUpdate" after every answer. Each mock
 * question starts with <span class="mock-domain" data-domain="…">. This script groups the
 * answers by that domain and fills #mock-exam-score. It runs only on a page that has that
 * element, and loads nothing.
 */
(function () {
  "use strict";
  var STORAGE_PREFIX = "quiz_progress_";

  function answers() {
    try {
      return JSON.parse(localStorage.getItem(STORAGE_PREFIX + window.location.pathname)) || {};
    } catch (error) {
      return {};
    }
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function render() {
    var board = document.getElementById("mock-exam-score");
    if (!board) return;
    var saved = answers();
    var domains = [];
    var byDomain = {};
    document.querySelectorAll(".quiz").forEach(function (quiz) {
      var tag = quiz.querySelector(".mock-domain");
      var name = tag ? tag.getAttribute("data-domain") : "Other";
      if (!byDomain[name]) {
        byDomain[name] = { total: 0, answered: 0, correct: 0 };
        domains.push(name);
      }
      var row = byDomain[name];
      var state = saved[quiz.id];
      row.total += 1;
      if (state && state.answered) row.answered += 1;
      if (state && state.correct) row.correct += 1;
    });
    var all = { total: 0, answered: 0, correct: 0 };
    var rows = domains.map(function (name) {
      var row = byDomain[name];
      all.total += row.total;
      all.answered += row.answered;
      all.correct += row.correct;
      return line(escapeHtml(name), row);
    });
    rows.push(line("<strong>All domains</strong>", all));
    board.innerHTML =
      "<table><thead><tr><th>Domain</th><th>Answered</th><th>Correct</th><th>Score</th></tr></thead>" +
      "<tbody>" + rows.join("") + "</tbody></table>";
  }

  function line(label, row) {
    var score = row.answered ? Math.round((100 * row.correct) / row.answered) + "%" : "–";
    return (
      "<tr data-domain-row><td>" + label + "</td><td>" + row.answered + " / " + row.total +
      "</td><td>" + row.correct + "</td><td>" + score + "</td></tr>"
    );
  }

  window.addEventListener("quizProgressUpdate", render);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
