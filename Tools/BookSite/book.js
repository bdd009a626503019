// The book's pages, offline: render the equations (KaTeX), highlight the code (highlight.js), search
// the sections (search-index.js). When all is done, <html data-ready="true"> tells the browser check.
"use strict";

function renderEquations() {
  for (const element of document.querySelectorAll(".math")) {
    katex.render(element.textContent, element, {
      displayMode: element.classList.contains("display"),
      throwOnError: false, // a bad equation shows as a red .katex-error node, which the check finds
    });
  }
}

function highlightCode() {
  for (const block of document.querySelectorAll("pre code")) {
    const language = (block.className.match(/language-(\w+)/) || [])[1];
    if (language && language !== "text" && hljs.getLanguage(language)) hljs.highlightBlock(block);
  }
}

// Every word of the query must appear in a section's title or text; titles count more.
function search(query) {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word.length > 0);
  if (words.length === 0) return [];
  const results = [];
  for (const entry of window.bookSearchIndex || []) {
    const title = entry.title.toLowerCase(), text = entry.text.toLowerCase();
    if (!words.every((word) => title.includes(word) || text.includes(word))) continue;
    const score = words.reduce((sum, word) => sum + (title.includes(word) ? 10 : 0) + text.split(word).length - 1, 0);
    results.push({ entry, score });
  }
  return results.sort((a, b) => b.score - a.score).slice(0, 20).map((result) => result.entry);
}

function excerpt(text, query) {
  const at = text.toLowerCase().indexOf(query.toLowerCase().split(/\s+/)[0]);
  const start = Math.max(0, at - 40);
  return (start > 0 ? "…" : "") + text.slice(start, start + 120) + "…";
}

function setUpSearch() {
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");
  if (!input || !list) return;
  input.addEventListener("input", () => {
    list.replaceChildren();
    const found = search(input.value);
    list.hidden = input.value.trim() === "";
    if (!list.hidden && found.length === 0) {
      const item = document.createElement("li");
      item.textContent = "Nothing found.";
      list.append(item);
    }
    for (const entry of found) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = entry.page + "#" + entry.anchor;
      link.textContent = entry.title;
      const where = document.createElement("small");
      where.textContent = entry.pageTitle + ": " + excerpt(entry.text, input.value);
      item.append(link, document.createElement("br"), where);
      list.append(item);
    }
  });
}

renderEquations();
highlightCode();
setUpSearch();
document.documentElement.dataset.ready = "true";
