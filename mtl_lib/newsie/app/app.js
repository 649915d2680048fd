// Newsie: draws the articles of window.NEWSIE_DATA, which data.js assigns (mtl_lib/newsie/build.py
// writes it). Every piece of text that comes from the data goes into the page as textContent or a
// text node, never as markup: a headline holding <script> or <b> shows as the characters it is.
"use strict";

(function () {
  const data = window.NEWSIE_DATA;
  const byId = (id) => document.getElementById(id);

  // An element holding plain text: the one way text enters the page.
  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  const signed = (value, digits = 3) => (value >= 0 ? "+" : "") + value.toFixed(digits);
  const plainText = (pieces) => pieces.map((piece) => (typeof piece === "string" ? piece : piece.word)).join("");

  // --- colours: the rule of mtl_lib/widgets.py's _layer ------------------------------------------

  // The opacity of a contribution: full colour at `scale` and beyond, none at zero.
  function alpha(value, scale) {
    return scale > 0 ? data.palette.strongest_alpha * Math.min(1, Math.abs(value) / scale) : 0;
  }

  function paint(span, shared, privateValue, scale) {
    span.style.setProperty("--shared-alpha", alpha(shared, scale).toFixed(2));
    span.style.setProperty("--private-alpha", alpha(privateValue, scale).toFixed(2));
    span.classList.toggle("shared-against", shared < 0);
    span.classList.toggle("private-against", privateValue < 0);
  }

  function wordSpan(piece, scale) {
    if (piece.shared === undefined) return element("span", piece.word, "unread"); // past max_length
    const span = element("span", piece.word, "word");
    paint(span, piece.shared, piece.private, scale);
    span.classList.toggle("unknown", !piece.known);
    span.title = `${piece.word} | shared ${signed(piece.shared)} | private ${signed(piece.private)} | ` +
      `total ${signed(piece.shared + piece.private)}` + (piece.known ? "" : " | not in the vocabulary: read as <unk>");
    return span;
  }

  function drawText(container, pieces, scale) {
    container.replaceChildren(...pieces.map((piece) =>
      typeof piece === "string" ? document.createTextNode(piece) : wordSpan(piece, scale)));
  }

  // --- one article ---------------------------------------------------------------------------------

  function drawPrediction(publication, article) {
    const probability = article.probability === null ? "" : ` (probability ${article.probability.toFixed(2)})`;
    const verdict = article.predicted === article.label ? "right" : "wrong";
    byId("prediction").replaceChildren(
      element("strong", publication.name), `'s head predicts `, element("strong", article.predicted, "predicted"),
      `${probability}. True category: `, element("strong", article.label, "true"), ` (${verdict}).`);
  }

  function swatch(channel, value, words) {
    const box = element("span", "\u00a0", "word swatch");
    paint(box, channel === "shared" ? value : 0, channel === "private" ? value : 0, 1);
    const item = element("li");
    item.append(box, words);
    return item;
  }

  function drawLegend(publication, article) {
    const label = article.explained;
    byId("legend-items").replaceChildren(
      swatch("shared", 1, `shared, for ${label}`), swatch("shared", -1, "shared, against"),
      swatch("private", 1, `private (${publication.name}), for ${label}`), swatch("private", -1, "private, against"));
    const unread = article.words > article.words_read
      ? ` Grey: words past the first ${article.words_read}, which the model did not read.` : "";
    byId("legend-text").textContent =
      "Top half of a word: shared encoder; bottom half: private encoder. " +
      `Solid: the word pushes towards ${label}; striped: away from it. ` +
      `Full colour: a contribution of ${article.scale.toFixed(3)} or more. ` +
      `Dotted underline: a word outside the vocabulary.${unread} ` +
      "Hover over a word for its numbers, or open the table below.";
  }

  function drawNumbers(article) {
    const rows = [...article.headline, ...article.body]
      .filter((piece) => typeof piece !== "string" && piece.shared !== undefined)
      .map((piece) => {
        const row = element("tr");
        row.append(element("td", piece.word), element("td", signed(piece.shared)), element("td", signed(piece.private)),
          element("td", signed(piece.shared + piece.private)));
        return row;
      });
    byId("numbers").tBodies[0].replaceChildren(...rows);
  }

  function drawArticle(publication, article) {
    drawPrediction(publication, article);
    drawText(byId("headline"), article.headline, article.scale);
    drawText(byId("body"), article.body, article.scale);
    drawLegend(publication, article);
    byId("totals").textContent =
      `Shared words add ${signed(article.shared)} and private words ${signed(article.private)} to the logit of ` +
      `${article.explained}: together ${signed(article.shared + article.private)} (integrated gradients, ` +
      `${data.steps} steps).`;
    drawNumbers(article);
  }

  // --- the lists -------------------------------------------------------------------------------------

  function drawWords(list, words, channel) {
    const largest = Math.max(...words.map((word) => word.contribution), 0);
    const items = words.map((word) => {
      const item = element("li");
      const bar = element("span", undefined, `bar ${channel}`);
      bar.style.width = `${largest > 0 ? Math.max(0, 100 * word.contribution / largest) : 0}%`;
      item.append(element("strong", word.token), ` ${signed(word.contribution, 2)} (${word.count}\u00d7)`, bar);
      return item;
    });
    list.replaceChildren(...(items.length ? items : [element("li", "no word seen often enough")]));
  }

  function articleButtons() {
    return [...byId("articles").querySelectorAll("button")];
  }

  function choose(publication, index) {
    articleButtons().forEach((button, i) => button.setAttribute("aria-current", String(i === index)));
    drawArticle(publication, publication.articles[index]);
  }

  function choosePublication(index) {
    const publication = data.publications[index];
    byId("article-count").textContent =
      `The first ${publication.articles.length} of its ${publication.articles_in_split} ${data.split} articles, ` +
      "each read by its own publication's head.";
    byId("articles").replaceChildren(...publication.articles.map((article, i) => {
      const button = element("button");
      button.type = "button";
      button.append(element("span", article.label, "category"), plainText(article.headline));
      button.addEventListener("click", () => choose(publication, i));
      const item = element("li");
      item.append(button);
      return item;
    }));
    byId("private-title").textContent = `Most specific to ${publication.name}`;
    drawWords(byId("private-words"), publication.private_words, "private");
    choose(publication, 0);
  }

  // Up and down arrows, Home and End move the focus along the article list and show that article.
  function onArticleKey(event) {
    const buttons = articleButtons();
    const current = buttons.indexOf(document.activeElement);
    if (current < 0) return;
    const next = { ArrowDown: current + 1, ArrowUp: current - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (next === undefined || next < 0 || next >= buttons.length) return;
    event.preventDefault();
    buttons[next].focus();
    buttons[next].click();
  }

  function start() {
    if (!data) {
      byId("about").replaceChildren(element("span",
        "data.js is missing: build the app with `python -m mtl_lib newsie RUN_DIR --out DIR`.", "problem"));
      return;
    }
    const root = document.documentElement.style;
    root.setProperty("--shared-rgb", data.palette.shared.join(", "));
    root.setProperty("--private-rgb", data.palette.private.join(", "));
    root.setProperty("--strongest-alpha", String(data.palette.strongest_alpha));
    byId("about").textContent =
      `The ${data.architecture.toUpperCase()} model ${data.run}, on the ${data.split} articles of ${data.dataset}: ` +
      "each word coloured by what it contributed to the predicted category through the encoder every publication " +
      "shares (blue) and through the publication's own (orange).";
    byId("words-note").textContent =
      `Summed attributions over all ${data.split} articles, each through its own publication's head ` +
      `(${data.word_lists.steps} integration steps); words seen fewer than ${data.word_lists.min_count} times ` +
      "are left out.";
    drawWords(byId("shared-words"), data.shared_words, "shared");

    const select = byId("publication");
    select.replaceChildren(...data.publications.map((publication, i) => {
      const option = element("option", `${publication.name} (${publication.articles.length})`);
      option.value = String(i);
      return option;
    }));
    select.addEventListener("change", () => choosePublication(Number(select.value)));
    byId("articles").addEventListener("keydown", onArticleKey);
    choosePublication(0);
  }

  start();
})();
